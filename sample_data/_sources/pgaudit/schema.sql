-- pg_dump --schema-only (abridged)
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
CREATE TABLE public.accounts (
    id bigint NOT NULL,
    user_name text,
    real_name text,
    id_card_no text,
    mobile text,
    password_hash text,
    city text
);
ALTER TABLE public.accounts OWNER TO postgres;
CREATE TABLE public.orders (
    id bigint NOT NULL,
    account_id bigint,
    amount numeric(12,2)
);
ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
