-- test/sql/plugins_loyalty.sql — runs the example plugin's own suite
-- (plugins/loyalty/test/loyalty.sql) with the core's pgTAP suites.
\ir ../../plugins/loyalty/test/loyalty.sql
