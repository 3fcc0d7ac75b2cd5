--
-- PostgreSQL database dump
--

\restrict YoG6gqbCB4DmfbECnkRUuXameeRZQ2aRQm9lhgAMLyekn4yk5a0lEaz4ilFuQ42

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

--
-- Name: Partitioned Log; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public."Partitioned Log" (
    id bigint,
    at date,
    mobile character varying(20)
)
PARTITION BY RANGE (at);


ALTER TABLE public."Partitioned Log" OWNER TO postgres;

SET default_table_access_method = heap;

--
-- Name: Partitioned Log 2026; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public."Partitioned Log 2026" (
    id bigint,
    at date,
    mobile character varying(20)
);


ALTER TABLE public."Partitioned Log 2026" OWNER TO postgres;

--
-- Name: accounts; Type: TABLE; Schema: public; Owner: postgres
--

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

--
-- Name: kyc; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.kyc (
    account_id bigint,
    flags bit varying(8),
    session_len interval day to second(3),
    id_card_no text,
    id_photo bytea
);
ALTER TABLE ONLY public.kyc ALTER COLUMN id_card_no SET COMPRESSION lz4;


ALTER TABLE public.kyc OWNER TO postgres;

--
-- Name: orders; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.orders (
    id bigint NOT NULL,
    account_id bigint,
    amount numeric(12,2)
);


ALTER TABLE public.orders OWNER TO postgres;

--
-- Name: orders_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.orders_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.orders_id_seq OWNER TO postgres;

--
-- Name: orders_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;


--
-- Name: Partitioned Log 2026; Type: TABLE ATTACH; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public."Partitioned Log" ATTACH PARTITION public."Partitioned Log 2026" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');


--
-- Name: orders id; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.orders ALTER COLUMN id SET DEFAULT nextval('public.orders_id_seq'::regclass);


--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


--
-- Name: TABLE accounts; Type: ACL; Schema: public; Owner: postgres
--

GRANT ALL ON TABLE public.accounts TO svc_app;
GRANT SELECT ON TABLE public.accounts TO vendor_x;


--
-- Name: COLUMN accounts.id; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT(id) ON TABLE public.accounts TO kefu_li;


--
-- Name: COLUMN accounts.user_name; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT(user_name) ON TABLE public.accounts TO kefu_li;


--
-- Name: COLUMN accounts.city; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT(city) ON TABLE public.accounts TO kefu_li;


--
-- Name: TABLE orders; Type: ACL; Schema: public; Owner: postgres
--

GRANT ALL ON TABLE public.orders TO svc_app;


--
-- Name: SEQUENCE orders_id_seq; Type: ACL; Schema: public; Owner: postgres
--

GRANT ALL ON SEQUENCE public.orders_id_seq TO svc_app;


--
-- PostgreSQL database dump complete
--

\unrestrict YoG6gqbCB4DmfbECnkRUuXameeRZQ2aRQm9lhgAMLyekn4yk5a0lEaz4ilFuQ42

