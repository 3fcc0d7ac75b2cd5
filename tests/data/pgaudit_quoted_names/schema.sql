CREATE TABLE public."Customer Data" (id integer, "RealName" text, "手机" text);
CREATE TABLE public."we,ird""t" (id integer, mobile text);
CREATE TABLE "my.app".accounts (id integer, mobile text);
CREATE TABLE public."用户" (id integer, "姓名" text);
