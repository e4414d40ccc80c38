-- One database per service. Runs once, when the postgres volume is first initialised
-- (the apps would also create their database on first start; this makes it explicit).
CREATE DATABASE trx_coordinator;
CREATE DATABASE trx_order;
CREATE DATABASE trx_account;
CREATE DATABASE trx_product;
