"""The canonical access event and the data catalog, loaded from ``schemas/``.

``schemas/access_event.schema.json`` is the one source of truth for field names, which are
required, enum values and their aliases, and defaults; ``schemas/data_catalog.json`` maps data
field names to a category and a class. Nothing here hard-codes a field list: the ingest SQL,
the tables of docs/contract.md and ``--help`` text are built from these objects.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import ConfigError, ContractError
from .i18n import _

SCHEMA_DIR = Path(__file__).resolve().parent / "_schemas"
EVENT_SCHEMA_FILE = "access_event.schema.json"
ACCOUNT_SCHEMA_FILE = "account_snapshot.schema.json"
CATALOG_FILE = "data_catalog.json"
PROTECTED_CLASSES_DEFAULT = ("login", "identity")
OTHER = "other"

# How names are matched, in Python here and in SQL (ingest/normalize.py), step by step alike:
# 1. width folded: each full-width character (ＳＦＺＨ, the full-width comma，...) and each
#    Unicode space (the ideographic space U+3000, no-break spaces...) becomes the character
#    NFKC makes of it (sfzh, ',', ' '): the compatibility mappings of NFKC that concern how a
#    Chinese keyboard or a copied cell spells a column name, one character for one;
# 2. surrounding ASCII whitespace removed; 3. lower-cased;
# 4. each run of whitespace and '-' becomes one '_'.
NAME_WHITESPACE = " \t\n\v\f\r"
NAME_SEPARATORS = r"[\t\n\v\f\r \-]+"
_NAME_SEPARATORS = re.compile(NAME_SEPARATORS)


def _width_fold() -> dict[str, str]:
    """Full-width forms and Unicode spaces -> what NFKC maps each to (one character)."""
    import unicodedata

    fold = {}
    for start, end in ((0x00A0, 0x00A1), (0x2000, 0x2070), (0x3000, 0x3001), (0xFF00, 0xFFF0)):
        for code in range(start, end):
            char = chr(code)
            mapped = unicodedata.normalize("NFKC", char)
            tag = unicodedata.decomposition(char).split(" ")[0]
            spacing = unicodedata.category(char) == "Zs" or tag == "<noBreak>"
            if len(mapped) == 1 and mapped != char and (tag == "<wide>" or spacing):
                fold[char] = mapped
    return fold


NAME_FOLD = _width_fold()
_FOLD_TABLE = str.maketrans(NAME_FOLD)


def fold_width(text: str) -> str:
    """Step 1 of name matching alone (also applied to a whole data_fields text, so that a
    full-width '，' or '；' separates fields as ',' and ';' do)."""
    return text.translate(_FOLD_TABLE)


def normalize_name(name: str) -> str:
    """How field names and data field names are matched: width folded (ＳＦＺＨ is sfzh), trimmed,
    lower-case, runs of whitespace and '-' -> '_'."""
    return _NAME_SEPARATORS.sub("_", fold_width(name).strip(NAME_WHITESPACE).lower())


@dataclass(frozen=True)
class FieldSpec:
    name: str
    required: bool
    json_types: tuple[str, ...]
    enum: tuple[str, ...] | None
    aliases: dict[str, str]
    default: Any
    description: str
    storage: str
    forms: tuple[str, ...] = ()
    other_names: tuple[str, ...] = ()  # x-names: other spellings of the field's name

    @property
    def value_map(self) -> dict[str, str]:
        """Every accepted (lower-case) spelling of an enum value -> the canonical value."""
        mapping = {v: v for v in self.enum or ()}
        mapping.update({k.lower(): v for k, v in self.aliases.items()})
        return mapping


@dataclass(frozen=True)
class Contract:
    fields: tuple[FieldSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def canonical_key(self, key: str) -> str | None:
        """The contract field an input key names (its own name or one of its x-names), or
        None when it is an extra."""
        norm = normalize_name(key)
        if norm in self.names:
            return norm
        for f in self.fields:
            if norm in f.other_names:
                return f.name
        return None


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContractError(
            _("{what} {path} is missing").format(what=what, path=path),
            hint=_("reinstall auditpipe"),
        ) from exc
    except (OSError, ValueError) as exc:
        raise ContractError(
            _("{what} {path} cannot be read: {exc}").format(what=what, path=path, exc=exc)
        ) from exc


@cache
def load_contract(schema_dir: Path = SCHEMA_DIR) -> Contract:
    """The canonical access event (schemas/access_event.schema.json)."""
    return _load_schema(schema_dir / EVENT_SCHEMA_FILE, "event schema")


@cache
def load_account_contract(schema_dir: Path = SCHEMA_DIR) -> Contract:
    """An account snapshot row (schemas/account_snapshot.schema.json)."""
    return _load_schema(schema_dir / ACCOUNT_SCHEMA_FILE, "account snapshot schema")


def _load_schema(path: Path, what: str) -> Contract:
    doc = _read_json(path, what)
    required = set(doc.get("required", []))
    specs = []
    for name, prop in doc["properties"].items():
        types = prop.get("type", "string")
        specs.append(
            FieldSpec(
                name=name,
                required=name in required,
                json_types=tuple(types if isinstance(types, list) else [types]),
                enum=tuple(prop["enum"]) if "enum" in prop else None,
                aliases=dict(prop.get("x-aliases", {})),
                default=prop.get("x-default"),
                description=prop.get("description", ""),
                storage=prop.get("x-storage", ""),
                forms=tuple(prop.get("x-forms", ())),
                other_names=tuple(normalize_name(n) for n in prop.get("x-names", ())),
            )
        )
    return Contract(fields=tuple(specs))


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    category: str
    data_class: str


@dataclass(frozen=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    protected_classes: tuple[str, ...]

    def lookup(self, data_field: str) -> CatalogEntry:
        norm = normalize_name(data_field)
        for e in self.entries:
            if e.name == norm:
                return e
        return CatalogEntry(norm, OTHER, OTHER)

    def as_rows(self) -> list[tuple[str, str, str]]:
        return [(e.name, e.category, e.data_class) for e in self.entries]


def _catalog_entries(doc: Any, source: Path) -> dict[str, CatalogEntry]:
    fields = doc.get("fields") if isinstance(doc, dict) else None
    if not isinstance(fields, dict):
        raise ConfigError(
            _("catalog {source} has no 'fields' object").format(source=source),
            hint=_('write it as {"fields": {"field_name": {"category": "...", "class": "..."}}}'),
        )
    out = {}
    for raw_name, spec in fields.items():
        if not isinstance(spec, dict) or not {"category", "class"} <= spec.keys():
            raise ConfigError(
                _("catalog {source}: entry {raw_name!r} needs a 'category' and a 'class'").format(
                    source=source, raw_name=raw_name
                ),
                hint=_('e.g. "wechat_id": {"category": "contact", "class": "identity"}'),
            )
        name = normalize_name(raw_name)
        out[name] = CatalogEntry(name, str(spec["category"]).strip(), str(spec["class"]).strip())
    return out


def load_catalog(extra: str | os.PathLike[str] | None = None) -> Catalog:
    """The default catalog, extended or overridden entry by entry by ``extra`` if given."""
    default_path = SCHEMA_DIR / CATALOG_FILE
    doc = _read_json(default_path, "data catalog")
    entries = _catalog_entries(doc, default_path)
    protected = tuple(doc.get("protected_classes", PROTECTED_CLASSES_DEFAULT))
    if extra is not None:
        path = Path(extra)
        try:
            user_doc = json.loads(path.read_text(encoding="utf-8-sig"))  # BOM or not
        except FileNotFoundError as exc:
            raise ConfigError(_("catalog file {path} does not exist").format(path=path)) from exc
        except (OSError, ValueError) as exc:
            raise ConfigError(
                _("catalog file {path} is not valid JSON: {exc}").format(path=path, exc=exc)
            ) from exc
        entries.update(_catalog_entries(user_doc, path))
        protected = tuple(user_doc.get("protected_classes", protected))
    return Catalog(entries=tuple(entries.values()), protected_classes=protected)


def contract_markdown(contract: Contract | None = None) -> str:
    """The field table of docs/contract.md, generated from the schema (a test keeps them equal)."""
    contract = contract or load_contract()
    named = any(f.other_names for f in contract.fields)  # the account snapshot contract
    lines = [
        "| field |"
        + (" also named |" if named else "")
        + " required | accepted values | default | stored as |",
        "|---|" + ("---|" if named else "") + "---|---|---|---|",
    ]
    for f in contract.fields:
        if f.enum:
            accepted = ", ".join(f"`{v}`" for v in f.enum)
        elif f.forms:
            accepted = "; ".join(f.forms)
        else:
            accepted = f.description.split(". ")[0].rstrip(".")
        if f.aliases:
            accepted += "; aliases " + ", ".join(f"{k}→{v}" for k, v in f.aliases.items())
        accepted = accepted.replace("|", "\\|")
        default = f"`{f.default}`" if f.default is not None else ""
        other = (" " + ", ".join(f.other_names) + " |") if named else ""
        lines.append(
            f"| `{f.name}` |{other} {'yes' if f.required else 'no'} | {accepted} | {default} "
            f"| {f.storage} |"
        )
    return "\n".join(lines)


def catalog_markdown(catalog: Catalog | None = None) -> str:
    catalog = catalog or load_catalog()
    groups: dict[tuple[str, str], list[str]] = {}
    for e in catalog.entries:
        groups.setdefault((e.data_class, e.category), []).append(e.name)
    lines = ["| class | category | data fields |", "|---|---|---|"]
    for (cls, cat), names in groups.items():
        lines.append(f"| `{cls}` | `{cat}` | {', '.join(names)} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m auditpipe.contract: print the tables of docs/contract.md
    print(contract_markdown())
    print()
    print(catalog_markdown())
