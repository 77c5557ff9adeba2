-- sql/src/105_currencies.sql — ISO 4217 currencies and their exponents
-- (minor units). Platform-wide reference data, readable by everyone.

CREATE TABLE commerce.currencies (
  code     text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
  exponent smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4),
  name     text NOT NULL
);
COMMENT ON TABLE commerce.currencies IS 'ISO 4217 currencies: amounts are bigint minor units, exponent digits after the decimal point.';

INSERT INTO commerce.currencies (code, exponent, name) VALUES
  ('AED', 2, 'UAE Dirham'), ('ARS', 2, 'Argentine Peso'), ('AUD', 2, 'Australian Dollar'),
  ('BGN', 2, 'Bulgarian Lev'), ('BHD', 3, 'Bahraini Dinar'), ('BRL', 2, 'Brazilian Real'),
  ('CAD', 2, 'Canadian Dollar'), ('CHF', 2, 'Swiss Franc'), ('CLP', 0, 'Chilean Peso'),
  ('CNY', 2, 'Yuan Renminbi'), ('COP', 2, 'Colombian Peso'), ('CZK', 2, 'Czech Koruna'),
  ('DKK', 2, 'Danish Krone'), ('EGP', 2, 'Egyptian Pound'), ('EUR', 2, 'Euro'),
  ('GBP', 2, 'Pound Sterling'), ('HKD', 2, 'Hong Kong Dollar'), ('HUF', 2, 'Forint'),
  ('IDR', 2, 'Rupiah'), ('ILS', 2, 'New Israeli Sheqel'), ('INR', 2, 'Indian Rupee'),
  ('IQD', 3, 'Iraqi Dinar'), ('ISK', 0, 'Iceland Krona'), ('JOD', 3, 'Jordanian Dinar'),
  ('JPY', 0, 'Yen'), ('KRW', 0, 'Won'), ('KWD', 3, 'Kuwaiti Dinar'), ('LYD', 3, 'Libyan Dinar'),
  ('MXN', 2, 'Mexican Peso'), ('MYR', 2, 'Malaysian Ringgit'), ('NOK', 2, 'Norwegian Krone'),
  ('NZD', 2, 'New Zealand Dollar'), ('OMR', 3, 'Rial Omani'), ('PHP', 2, 'Philippine Peso'),
  ('PLN', 2, 'Zloty'), ('RON', 2, 'Romanian Leu'), ('SAR', 2, 'Saudi Riyal'),
  ('SEK', 2, 'Swedish Krona'), ('SGD', 2, 'Singapore Dollar'), ('THB', 2, 'Baht'),
  ('TND', 3, 'Tunisian Dinar'), ('TRY', 2, 'Turkish Lira'), ('TWD', 2, 'New Taiwan Dollar'),
  ('UAH', 2, 'Hryvnia'), ('UGX', 0, 'Uganda Shilling'), ('USD', 2, 'US Dollar'),
  ('VND', 0, 'Dong'), ('XAF', 0, 'CFA Franc BEAC'), ('XOF', 0, 'CFA Franc BCEAO'),
  ('ZAR', 2, 'Rand');

GRANT SELECT ON commerce.currencies TO PUBLIC;

-- Orders name their currency without a foreign key (500_orders.sql): a
-- currency, once known, stays, so no order's code can dangle. Adding one
-- is allowed; removing or renaming one is refused.
CREATE FUNCTION commerce.currencies_are_permanent() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
  RAISE EXCEPTION 'currencies cannot be removed or renamed'
    USING ERRCODE = 'restrict_violation',
          DETAIL = 'Orders name their currency by code without a foreign key.',
          HINT = 'Add a new currency instead.';
END
$$;
CREATE TRIGGER currencies_are_permanent
  BEFORE DELETE OR UPDATE OF code OR TRUNCATE ON commerce.currencies
  FOR EACH STATEMENT EXECUTE FUNCTION commerce.currencies_are_permanent();
COMMENT ON FUNCTION commerce.currencies_are_permanent() IS
  'Trigger of commerce.currencies: refuses DELETE, TRUNCATE and a change of code (23001 restrict_violation), since orders name their currency by code without a foreign key.';
