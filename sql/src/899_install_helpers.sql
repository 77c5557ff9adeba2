-- sql/src/899_install_helpers.sql — the install script's own helpers are
-- gone once it has used them (before 900_privileges.sql classifies every
-- function that stays).
DROP FUNCTION commerce.install_tenant_policies(regclass, text, text, text);
DROP FUNCTION commerce.install_cache_triggers(regclass, text);
