-- sql/src/880_invariants.sql — commerce.check_invariants(): the rules that
-- must hold between rows after any history (faults, load, concurrent
-- commands), checked across every tenant. The fault, load and model tests
-- run it after each run (docs/reliability.md); operators may run it too.
-- Each row it returns is one broken rule on one object; no row means every
-- invariant holds. The rules a single row can break are CHECK constraints
-- (extension/row_rules.c and the tables'); these are the ones between rows.

CREATE FUNCTION commerce.check_invariants(stock_reserved_only_by_orders boolean DEFAULT false)
RETURNS TABLE (invariant text, tenant_id uuid, object_id uuid, detail text)
LANGUAGE sql STABLE AS $$
  -- Stock held by orders: a placed order reserves its lines until it is
  -- fulfilled (on_hand and reserved go down), cancelled, or refunded before
  -- it shipped (reserved goes down): placed and paid orders hold stock.
  WITH held AS (
    SELECT l.tenant_id, l.variant_id, pg_catalog.sum(l.quantity) AS quantity
      FROM commerce.order_lines l
      JOIN commerce.orders o ON o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                            AND o.id OPERATOR(pg_catalog.=) l.order_id
     WHERE o.status OPERATOR(pg_catalog.=) ANY ('{placed,paid}'::text[])
     GROUP BY 1, 2
  ),
  -- events counted once for all orders, and the oldest event kept per
  -- tenant (set-based: a lookup per order would scan the tenant's events,
  -- quadratic in the orders — outbox_written has no index by aggregate)
  order_events AS (
    SELECT e.tenant_id, e.aggregate_id, e.type, pg_catalog.count(*) AS events
      FROM commerce.outbox_written e
     WHERE e.type OPERATOR(pg_catalog.=) ANY ('{order.placed,order.cancelled,order.fulfilled}'::text[])
     GROUP BY 1, 2, 3
  ),
  kept AS (
    SELECT e.tenant_id, pg_catalog.min(e.occurred_at) AS since
      FROM commerce.outbox_written e GROUP BY 1
  )
  SELECT 'stock_not_negative', i.tenant_id, i.variant_id,
         pg_catalog.format('on_hand %s, reserved %s', i.on_hand, i.reserved)
    FROM commerce.inventory_levels i
   WHERE i.on_hand OPERATOR(pg_catalog.<) 0 OR i.reserved OPERATOR(pg_catalog.<) 0
      OR i.reserved OPERATOR(pg_catalog.>) i.on_hand
  UNION ALL
  -- reserved covers every open order's lines; equal when nothing else
  -- reserves (commerce.reserve_stock is a partner command of its own)
  SELECT 'stock_reserved_by_open_orders', coalesce(i.tenant_id, h.tenant_id),
         coalesce(i.variant_id, h.variant_id),
         pg_catalog.format('reserved %s, held by open orders %s',
                           coalesce(i.reserved, 0), coalesce(h.quantity, 0))
    FROM commerce.inventory_levels i
    FULL JOIN held h ON h.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                    AND h.variant_id OPERATOR(pg_catalog.=) i.variant_id
                    AND i.location OPERATOR(pg_catalog.=) 'default'
   WHERE (i.location IS NULL OR i.location OPERATOR(pg_catalog.=) 'default')
     AND CASE WHEN stock_reserved_only_by_orders
              THEN coalesce(i.reserved, 0) OPERATOR(pg_catalog.<>) coalesce(h.quantity, 0)
              ELSE coalesce(i.reserved, 0) OPERATOR(pg_catalog.<) coalesce(h.quantity, 0) END
  UNION ALL
  -- a placed order's figures are the sums of its lines, shipping and
  -- adjustments (its tax is its lines' and its shipping charge's)
  SELECT 'order_total_is_sum_of_parts', o.tenant_id, o.id,
         pg_catalog.format('subtotal %s (lines %s), discount_total %s (lines %s), tax_total %s (lines %s, shipping %s), shipping_total %s, adjustment_total %s (adjustments %s), total %s',
                           o.subtotal, s.amount, o.discount_total, s.discount, o.tax_total, s.tax,
                           o.shipping_tax, o.shipping_total, o.adjustment_total, a.net, o.total)
    FROM commerce.orders o
    CROSS JOIN LATERAL (
      SELECT coalesce(pg_catalog.sum(l.amount), 0) AS amount, coalesce(pg_catalog.sum(l.tax_amount), 0) AS tax,
             coalesce(pg_catalog.sum(l.discount_amount), 0) AS discount
        FROM commerce.order_lines l
       WHERE l.tenant_id OPERATOR(pg_catalog.=) o.tenant_id AND l.order_id OPERATOR(pg_catalog.=) o.id) s
    CROSS JOIN LATERAL (
      SELECT coalesce(pg_catalog.sum(CASE WHEN d.kind OPERATOR(pg_catalog.=) 'fee' THEN d.amount
                                          ELSE OPERATOR(pg_catalog.-) d.amount END), 0) AS net
        FROM commerce.order_adjustments d
       WHERE d.tenant_id OPERATOR(pg_catalog.=) o.tenant_id AND d.order_id OPERATOR(pg_catalog.=) o.id) a
   WHERE o.placed_at IS NOT NULL
     AND (o.subtotal OPERATOR(pg_catalog.<>) s.amount
          OR o.discount_total OPERATOR(pg_catalog.<>) s.discount
          OR o.tax_total OPERATOR(pg_catalog.<>) (s.tax OPERATOR(pg_catalog.+) o.shipping_tax)
          OR o.adjustment_total OPERATOR(pg_catalog.<>) a.net
          OR o.total OPERATOR(pg_catalog.<>) (o.subtotal OPERATOR(pg_catalog.-) o.discount_total
               OPERATOR(pg_catalog.+) o.shipping_total
               OPERATOR(pg_catalog.+) CASE WHEN o.prices_include_tax THEN 0 ELSE o.tax_total END
               OPERATOR(pg_catalog.+) o.adjustment_total))
  UNION ALL
  -- a discount code's uses are the placed, not cancelled orders that
  -- carry it, never above its limit; per customer likewise. The counters
  -- are kept only under a limit (extension/promotion_limits.c): used while
  -- usage_limit is set, a customer's row while per_customer_limit is set
  SELECT 'discount_usage_counted', c.tenant_id, c.id,
         pg_catalog.format('code %s: used %s, orders %s, limit %s', c.code, c.used, u.orders, c.usage_limit)
    FROM commerce.promotion_codes c
    CROSS JOIN LATERAL (
      SELECT pg_catalog.count(*) AS orders
        FROM commerce.order_discounts d
        JOIN commerce.orders o ON o.tenant_id OPERATOR(pg_catalog.=) d.tenant_id
                              AND o.id OPERATOR(pg_catalog.=) d.order_id
       WHERE d.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND d.code_id OPERATOR(pg_catalog.=) c.id
         AND o.status OPERATOR(pg_catalog.<>) ALL ('{draft,cancelled}'::text[])) u
   WHERE c.usage_limit IS NOT NULL
     AND (c.used OPERATOR(pg_catalog.<>) u.orders OR c.used OPERATOR(pg_catalog.>) c.usage_limit)
  UNION ALL
  SELECT 'discount_customer_usage_counted', c.tenant_id, c.code_id,
         pg_catalog.format('customer %s: used %s, orders %s, limit %s', c.customer_id, c.used, u.orders,
                           p.per_customer_limit)
    FROM commerce.promotion_code_customers c
    JOIN commerce.promotion_codes p ON p.tenant_id OPERATOR(pg_catalog.=) c.tenant_id
                                   AND p.id OPERATOR(pg_catalog.=) c.code_id
    CROSS JOIN LATERAL (
      SELECT pg_catalog.count(*) AS orders
        FROM commerce.order_discounts d
        JOIN commerce.orders o ON o.tenant_id OPERATOR(pg_catalog.=) d.tenant_id
                              AND o.id OPERATOR(pg_catalog.=) d.order_id
       WHERE d.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND d.code_id OPERATOR(pg_catalog.=) c.code_id
         AND o.customer_id OPERATOR(pg_catalog.=) c.customer_id
         AND o.status OPERATOR(pg_catalog.<>) ALL ('{draft,cancelled}'::text[])) u
   WHERE p.per_customer_limit IS NULL
      OR c.used OPERATOR(pg_catalog.<>) u.orders OR c.used OPERATOR(pg_catalog.>) p.per_customer_limit
  UNION ALL
  -- every line belongs to an order of its own tenant (no foreign key)
  SELECT 'line_has_its_order', l.tenant_id, l.id, pg_catalog.format('order %s', l.order_id)
    FROM commerce.order_lines l
   WHERE NOT EXISTS (SELECT 1 FROM commerce.orders o
                      WHERE o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                        AND o.id OPERATOR(pg_catalog.=) l.order_id)
  UNION ALL
  -- order numbers are 1..n without a gap, and the counter is at n
  SELECT 'order_numbers_gapless', n.tenant_id, NULL::uuid,
         pg_catalog.format('%s numbers, highest %s, counter %s', n.count, n.max, c.last_number)
    FROM (SELECT o.tenant_id, pg_catalog.count(o.number) AS count, coalesce(pg_catalog.max(o.number), 0) AS max
            FROM commerce.orders o GROUP BY 1) n
    LEFT JOIN commerce.order_counters c ON c.tenant_id OPERATOR(pg_catalog.=) n.tenant_id
   WHERE n.count OPERATOR(pg_catalog.<>) n.max
      OR coalesce(c.last_number, 0) OPERATOR(pg_catalog.<>) n.max
  UNION ALL
  -- a payment: captured and voided within authorized, refunded within captured
  SELECT 'payment_amounts_within', p.tenant_id, p.id,
         pg_catalog.format('authorized %s, captured %s, voided %s, refunded %s',
                           p.amount_authorized, p.amount_captured, p.amount_voided, p.amount_refunded)
    FROM commerce.payments p
   WHERE (p.amount_captured OPERATOR(pg_catalog.+) p.amount_voided) OPERATOR(pg_catalog.>) p.amount_authorized
      OR p.amount_refunded OPERATOR(pg_catalog.>) p.amount_captured
  UNION ALL
  -- an order's payment figures are the sums of its payments' (authorized:
  -- what is held, authorized minus voided)
  SELECT 'order_payments_sum', o.tenant_id, o.id,
         pg_catalog.format('order authorized/captured/refunded %s/%s/%s, payments %s/%s/%s',
                           o.amount_authorized, o.amount_captured, o.amount_refunded, s.auth, s.cap, s.ref)
    FROM commerce.orders o
    CROSS JOIN LATERAL (
      SELECT coalesce(pg_catalog.sum(p.amount_authorized OPERATOR(pg_catalog.-) p.amount_voided), 0) AS auth,
             coalesce(pg_catalog.sum(p.amount_captured), 0) AS cap,
             coalesce(pg_catalog.sum(p.amount_refunded), 0) AS ref
        FROM commerce.payments p
       WHERE p.tenant_id OPERATOR(pg_catalog.=) o.tenant_id AND p.order_id OPERATOR(pg_catalog.=) o.id) s
   WHERE o.amount_authorized OPERATOR(pg_catalog.<>) s.auth OR o.amount_captured OPERATOR(pg_catalog.<>) s.cap
      OR o.amount_refunded OPERATOR(pg_catalog.<>) s.ref
  UNION ALL
  -- every state change of an order has exactly one event (while events are
  -- kept: changes older than the tenant's oldest event are not checked)
  SELECT 'one_event_per_order_change', o.tenant_id, o.id,
         pg_catalog.format('%s: %s events', c.type, coalesce(ev.events, 0))
    FROM commerce.orders o
    CROSS JOIN LATERAL (VALUES ('order.placed', o.placed_at), ('order.cancelled', o.cancelled_at),
                               ('order.fulfilled', o.fulfilled_at)) AS c(type, at)
    JOIN kept ON kept.tenant_id OPERATOR(pg_catalog.=) o.tenant_id
    LEFT JOIN order_events ev ON ev.tenant_id OPERATOR(pg_catalog.=) o.tenant_id
                             AND ev.aggregate_id OPERATOR(pg_catalog.=) o.id
                             AND ev.type OPERATOR(pg_catalog.=) c.type
   WHERE c.at IS NOT NULL
     AND c.at OPERATOR(pg_catalog.>=) kept.since
     AND coalesce(ev.events, 0) OPERATOR(pg_catalog.<>) 1
  UNION ALL
  -- an event's number is its own in the whole database (publish order;
  -- gaps are allowed, docs/events.md)
  SELECT 'event_seq_unique', p.tenant_id, p.id, pg_catalog.format('seq %s', p.seq)
    FROM commerce.outbox_published p
   WHERE EXISTS (SELECT 1 FROM commerce.outbox_published q
                  WHERE q.seq OPERATOR(pg_catalog.=) p.seq AND q.tenant_id OPERATOR(pg_catalog.<>) p.tenant_id)
  UNION ALL
  -- a publication mark is the mark of an event of the same tenant
  SELECT 'mark_has_its_event', p.tenant_id, p.id, pg_catalog.format('seq %s', p.seq)
    FROM commerce.outbox_published p
   WHERE NOT EXISTS (SELECT 1 FROM commerce.outbox_written e
                      WHERE e.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
                        AND e.id OPERATOR(pg_catalog.=) p.id)
  UNION ALL
  -- a stored idempotent response by reference names an event of the
  -- key's own tenant
  SELECT 'idempotency_event_same_tenant', k.tenant_id, k.response_event,
         pg_catalog.format('key %s of %s %s', k.key, k.actor, k.subject)
    FROM commerce.idempotency_keys k
   WHERE k.response_event IS NOT NULL
     AND EXISTS (SELECT 1 FROM commerce.outbox_written e
                  WHERE e.id OPERATOR(pg_catalog.=) k.response_event
                    AND e.tenant_id OPERATOR(pg_catalog.<>) k.tenant_id)
$$;
COMMENT ON FUNCTION commerce.check_invariants(boolean) IS
  'The rules between rows, over every tenant (commerce_admin; runs as the extension''s owner): one row per broken rule and object, none when all hold. Rules: stock_not_negative, stock_reserved_by_open_orders (reserved >= the lines of placed and paid orders; equal with stock_reserved_only_by_orders => true), order_total_is_sum_of_parts (lines, discounts, shipping, tax, adjustments), discount_usage_counted, discount_customer_usage_counted, line_has_its_order, order_numbers_gapless (1..n, counter at n), payment_amounts_within, order_payments_sum, one_event_per_order_change (placed, cancelled, fulfilled: exactly one event each while events are kept), event_seq_unique (across tenants), mark_has_its_event, idempotency_event_same_tenant. Example: SELECT * FROM commerce.check_invariants(); docs/reliability.md.';
