-- scripts/demo-seed.sql — the small demo catalog `make run` puts in tenant
-- `demo` (scripts/run.sh passes its id as :tenant): two categories, three
-- active products with variants, a retail EUR price list with prices, stock,
-- a customer group and a customer. Everything goes through the commands, as
-- the gateway would. Idempotent: when the demo catalog exists, nothing is
-- done.
\set ON_ERROR_STOP on
BEGIN;
SELECT commerce.set_context(:'tenant', 'demo-seed', 'staff');
DO $$
DECLARE
  clothing jsonb;
  kitchen jsonb;
  product jsonb;
  variant jsonb;
  retail jsonb;
  wholesale jsonb;
  item record;
BEGIN
  IF EXISTS (SELECT 1 FROM commerce.products WHERE handle = 'linen-shirt') THEN
    RETURN;
  END IF;
  clothing := commerce.create_category('{"name": "Clothing"}');
  kitchen := commerce.create_category('{"name": "Kitchen"}');
  retail := commerce.create_price_list('{"name": "Retail EUR", "currency": "EUR", "priority": 0}');
  wholesale := commerce.create_customer_group('{"name": "Wholesale"}');
  PERFORM commerce.create_customer(jsonb_build_object('email', 'ada@example.com', 'first_name', 'Ada',
                                   'last_name', 'Lovelace', 'group_id', wholesale->>'id'));

  product := commerce.create_product(jsonb_build_object('title', 'Linen shirt', 'status', 'active',
    'category_id', clothing->>'id', 'tax_category', 'clothing', 'attributes', '{"material": "linen"}'::jsonb,
    'options', '[{"name": "Size", "values": ["S", "M", "L"]}]'::jsonb));
  FOR item IN SELECT * FROM (VALUES ('S', 4900), ('M', 4900), ('L', 5400)) v(size, amount) LOOP
    variant := commerce.create_variant((product->>'id')::uuid, jsonb_build_object(
      'sku', 'SHIRT-' || item.size, 'title', 'Linen shirt ' || item.size, 'option_values', jsonb_build_object('Size', item.size)));
    PERFORM commerce.set_price((retail->>'id')::uuid, jsonb_build_object('variant_id', variant->>'id', 'amount', item.amount));
    PERFORM commerce.set_inventory((variant->>'id')::uuid, '{"on_hand": 25}');
  END LOOP;

  product := commerce.create_product(jsonb_build_object('title', 'Stoneware mug', 'status', 'active',
    'category_id', kitchen->>'id', 'options', '[{"name": "Color", "values": ["white", "blue"]}]'::jsonb));
  FOR item IN SELECT * FROM (VALUES ('white'), ('blue')) v(color) LOOP
    variant := commerce.create_variant((product->>'id')::uuid, jsonb_build_object(
      'sku', 'MUG-' || upper(item.color), 'option_values', jsonb_build_object('Color', item.color)));
    PERFORM commerce.set_price((retail->>'id')::uuid, jsonb_build_object('variant_id', variant->>'id', 'amount', 1500));
    PERFORM commerce.set_price((retail->>'id')::uuid, jsonb_build_object('variant_id', variant->>'id', 'amount', 1200, 'min_quantity', 6));
    PERFORM commerce.set_inventory((variant->>'id')::uuid, '{"on_hand": 100}');
  END LOOP;

  product := commerce.create_product(jsonb_build_object('title', 'Gift card', 'status', 'active'));
  variant := commerce.create_variant((product->>'id')::uuid, '{"sku": "GIFT-50", "title": "50 EUR"}');
  PERFORM commerce.set_price((retail->>'id')::uuid, jsonb_build_object('variant_id', variant->>'id', 'amount', 5000));
  PERFORM commerce.set_inventory((variant->>'id')::uuid, '{"on_hand": 1000}');
END
$$;
COMMIT;
