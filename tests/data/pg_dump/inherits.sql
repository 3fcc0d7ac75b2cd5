--
-- PostgreSQL database dump
--

\restrict ypXhkeOcQx70WOTUfa6dnWbCM3wOUfspZhlNvthL2rlLJMiTPmLLG5MfRqCzWJ3

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

SET default_table_access_method = heap;

--
-- Name: contacts; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.contacts (
    id bigint,
    mobile text
);


ALTER TABLE public.contacts OWNER TO postgres;

--
-- Name: notes; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.notes (
    note text
);


ALTER TABLE public.notes OWNER TO postgres;

--
-- Name: vip_contacts; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.vip_contacts (
    level integer
)
INHERITS (public.contacts, public.notes);


ALTER TABLE public.vip_contacts OWNER TO postgres;

--
-- PostgreSQL database dump complete
--

\unrestrict ypXhkeOcQx70WOTUfa6dnWbCM3wOUfspZhlNvthL2rlLJMiTPmLLG5MfRqCzWJ3

