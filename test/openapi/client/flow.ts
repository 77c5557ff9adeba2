// test/openapi/client/flow.ts — a storefront flow through a client generated
// from the gateway's own /openapi.json (openapi-typescript writes api.ts
// beside this file; openapi-fetch calls it), compiled with strict tsc by
// test/t/545_openapi_typed_client.pl: staff create a product, a variant, a
// price list, a price and stock; a customer creates a cart, adds and changes
// lines, places it (an Idempotency-Key replayed), authorizes a payment;
// staff capture it with If-Match and read the events; then every other
// core operation once (groups, categories, addresses, tax, checkout, void,
// refund, cancel, fulfil, shipping, promotions and discount codes, tenants,
// plugins, and the storefront of issue 17: a publishable key, a guest cart,
// an identity link, a claim), so each answer meets its schema. Every answer is
// checked for what the document promises (status, headers, typed fields).
// Environment: BASE_URL, JWT_SECRET, TENANT_ID, RUN (unique per run).
// Exit 0 and "flow ok" when every step did what it should.
import createClient from "openapi-fetch";
import { createHmac, randomUUID } from "node:crypto";
import type { components, paths } from "./api.js";

type Order = components["schemas"]["Order"];

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const baseUrl = env("BASE_URL");
const tenant = env("TENANT_ID");
const run = env("RUN");

function token(role: "staff" | "customer" | "platform_admin", sub: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({
    tenant_id: tenant, sub, role, exp: Math.floor(Date.now() / 1000) + 600,
  })}`;
  return `${body}.${createHmac("sha256", env("JWT_SECRET")).update(body).digest("base64url")}`;
}

function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`failed: ${what}`);
}

/* The data of a successful answer, or a thrown error naming the step. */
function ok<T>(what: string, r: { data?: T; error?: unknown; response: Response }, status: number): T {
  check(r.response.status === status,
    `${what}: status ${r.response.status}, expected ${status}: ${JSON.stringify(r.error ?? r.data)}`);
  check(r.data !== undefined, `${what}: a body`);
  check(r.response.headers.get("X-Request-Id"), `${what}: X-Request-Id`);
  return r.data;
}

const staff = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token("staff", "staff-flow")}` } });

async function catalog(): Promise<{ variant: string }> {
  const product = ok("create product", await staff.POST("/v1/products", {
    body: { title: `Linen shirt ${run}`, status: "active", options: [{ name: "size", values: ["M", "L"] }] },
  }), 201);
  check(product.status === "active" && product.variants.length === 0, "a new active product");
  const variant = ok("create variant", await staff.POST("/v1/products/{product_id}/variants", {
    params: { path: { product_id: product.id } },
    body: { sku: `LINEN-M-${run}`, option_values: { size: "M" } },
  }), 201);
  const list = ok("create price list", await staff.POST("/v1/price-lists", {
    body: { name: `EU ${run}`, currency: "EUR" },
  }), 201);
  const price = ok("set price", await staff.POST("/v1/price-lists/{price_list}/prices", {
    params: { path: { price_list: list.id } },
    body: { variant_id: variant.id, amount: 4900 },
  }), 201);
  check(price.amount === 4900 && price.currency === "EUR", "the price in minor units");
  const stock = await staff.PUT("/v1/inventory/{variant}", {
    params: { path: { variant: variant.id } }, body: { on_hand: 10 },
  });
  check(ok("set stock", stock, 200).available === 10, "10 available");
  check(stock.response.headers.get("ETag") === '"1"', "ETag of the stock level");
  const resolved = ok("resolve price", await staff.GET("/v1/prices/resolve", {
    params: { query: { variant: variant.id, currency: "EUR", quantity: 2 } },
  }), 200);
  check(resolved.amount === 9800 && resolved.unit_amount === 4900, "2 x 49.00 EUR");
  const products = ok("list products", await staff.GET("/v1/products", {
    params: { query: { limit: 1, status: "active" } },
  }), 200);
  check(products.data.length === 1, "a page of one product");
  // list filters (docs/filters.md): q over SKUs, a range and a sort, typed from the OpenAPI parameters
  const found = ok("search products", await staff.GET("/v1/products", {
    params: { query: { q: `LINEN-M-${run}`, "created_at[gte]": "2000-01-01", sort: "-created_at" } },
  }), 200);
  check(found.data.length === 1 && found.data[0]?.id === product.id, "q finds the product by its SKU");
  const fetched = await staff.GET("/v1/products/{id}", { params: { path: { id: product.id } } });
  check(ok("get product", fetched, 200).variants[0]?.sku === `LINEN-M-${run}`, "the variant in its product");
  check(fetched.response.headers.get("ETag") === `"${fetched.data?.version}"`, "ETag is the version");
  return { variant: variant.id };
}

async function cart(customer: Client, variant: string): Promise<Order> {
  const draft = ok("create order", await customer.POST("/v1/orders", { body: { currency: "EUR" } }), 201);
  check(draft.status === "draft" && draft.total === 0, "an empty draft");
  const added = await customer.POST("/v1/orders/{order_id}/lines", {
    params: { path: { order_id: draft.id } }, body: { variant_id: variant, quantity: 3 },
  });
  const withLine = ok("add line", added, 201);
  check(added.response.headers.get("Location") === `/v1/orders/${draft.id}`, "Location of the order");
  const line = withLine.lines[0];
  check(line !== undefined && line.quantity === 3, "the line");
  const changed = ok("change line", await customer.PATCH("/v1/orders/{order_id}/lines/{line_id}", {
    params: { path: { order_id: draft.id, line_id: line.id } }, body: { quantity: 2 },
  }), 200);
  check(changed.subtotal === 9800 && changed.prices_complete === true, "priced live: 2 x 4900");
  const key = `place-${run}`;
  const placing = { params: { path: { id: draft.id }, header: { "Idempotency-Key": key } } };
  const placed = await customer.POST("/v1/orders/{id}/place", placing);
  check(ok("place", placed, 200).status === "placed", "placed");
  check(placed.data?.number !== null, "numbered");
  const again = await customer.POST("/v1/orders/{id}/place", placing);
  check(ok("place again", again, 200).id === draft.id, "the same order");
  check(again.response.headers.get("Idempotent-Replayed") === "true", "Idempotent-Replayed: true");
  return placed.data as Order;
}

async function events(types: string[]): Promise<void> {
  const seen = new Set<string>();
  for (let attempt = 0; attempt < 100 && types.some((t) => !seen.has(t)); attempt++) {
    seen.clear();
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const r = ok("list events", await staff.GET("/v1/events", {
        params: { query: after === undefined ? { limit: 5 } : { limit: 5, after } },
      }), 200);
      for (const e of r.data) {
        check(e.tenant_id === tenant && e.seq > 0, "an event of the tenant");
        seen.add(e.type);
      }
      if (r.next_cursor === null) break;
      after = r.next_cursor;
    }
    if (types.some((t) => !seen.has(t))) await new Promise((res) => setTimeout(res, 200));
  }
  for (const t of types) check(seen.has(t), `event ${t} published`);
}

type Client = ReturnType<typeof createClient<paths>>;
const ifMatch = (version: number) => ({ "If-Match": `"${version}"` });

/* Every other core operation once, so that each answer meets its schema. */
async function tourCustomers(customerId: string): Promise<void> {
  const g = ok("create group", await staff.POST("/v1/customer-groups", { body: { name: `VIP ${run}` } }), 201);
  check(ok("list groups", await staff.GET("/v1/customer-groups", { params: { query: { limit: 5 } } }), 200).data.length > 0, "groups");
  ok("get group", await staff.GET("/v1/customer-groups/{id}", { params: { path: { id: g.id } } }), 200);
  check(ok("update group", await staff.PATCH("/v1/customer-groups/{id}", {
    params: { path: { id: g.id }, header: ifMatch(g.version) }, body: { description: "best" },
  }), 200).description === "best", "group updated");
  const c = ok("update customer", await staff.PATCH("/v1/customers/{id}", {
    params: { path: { id: customerId } }, body: { group_id: g.id, phone: null },
  }), 200);
  check(c.group_id === g.id, "customer in the group");
  ok("get customer", await staff.GET("/v1/customers/{id}", { params: { path: { id: customerId } } }), 200);
  check(ok("find customer", await staff.GET("/v1/customers", { params: { query: { email: c.email } } }), 200).data.length === 1, "by email");
  const a = ok("add address", await staff.POST("/v1/customers/{customer_id}/addresses", {
    params: { path: { customer_id: customerId } }, body: { line1: "1 rue de la Paix", city: "Paris", country: "FR" },
  }), 201);
  const got = ok("get address", await staff.GET("/v1/customers/{customer_id}/addresses/{address_id}", {
    params: { path: { customer_id: customerId, address_id: a.id } },
  }), 200);
  check(got.id === a.id && got.line1 === "1 rue de la Paix" && got.customer_id === customerId, "the address read back");
  check(ok("update address", await staff.PATCH("/v1/customers/{customer_id}/addresses/{address_id}", {
    params: { path: { customer_id: customerId, address_id: a.id } }, body: { is_default_shipping: true },
  }), 200).is_default_shipping, "default shipping address");
  check(ok("remove address", await staff.DELETE("/v1/customers/{customer_id}/addresses/{address_id}", {
    params: { path: { customer_id: customerId, address_id: a.id } },
  }), 200).deleted, "address removed");
}

async function tourCatalog(variant: string): Promise<void> {
  const cat = ok("create category", await staff.POST("/v1/categories", { body: { name: `Shirts ${run}` } }), 201);
  ok("list categories", await staff.GET("/v1/categories", {}), 200);
  ok("get category", await staff.GET("/v1/categories/{id}", { params: { path: { id: cat.id } } }), 200);
  ok("update category", await staff.PATCH("/v1/categories/{id}", { params: { path: { id: cat.id } }, body: { position: 2 } }), 200);
  const p = ok("create draft", await staff.POST("/v1/products", { body: { title: `Draft ${run}`, category_id: cat.id } }), 201);
  check(p.status === "draft", "a draft");
  ok("update product", await staff.PATCH("/v1/products/{id}", { params: { path: { id: p.id } }, body: { description: "soon" } }), 200);
  check(ok("archive product", await staff.POST("/v1/products/{id}/archive", { params: { path: { id: p.id } } }), 200).status === "archived", "archived");
  const v = ok("get variant", await staff.GET("/v1/variants/{id}", { params: { path: { id: variant } } }), 200);
  ok("update variant", await staff.PATCH("/v1/variants/{id}", { params: { path: { id: variant } }, body: { title: "Medium" } }), 200);
  check(ok("list variants", await staff.GET("/v1/products/{product_id}/variants", {
    params: { path: { product_id: v.product_id } },
  }), 200).data.length === 1, "one variant");
  const lists = ok("list price lists", await staff.GET("/v1/price-lists", {}), 200);
  const list = lists.data[0];
  check(list !== undefined, "a price list");
  ok("get price list", await staff.GET("/v1/price-lists/{id}", { params: { path: { id: list.id } } }), 200);
  ok("update price list", await staff.PATCH("/v1/price-lists/{id}", { params: { path: { id: list.id } }, body: { priority: 1 } }), 200);
  const tier = ok("tier price", await staff.POST("/v1/price-lists/{price_list}/prices", {
    params: { path: { price_list: list.id } }, body: { variant_id: variant, amount: 4500, min_quantity: 10 },
  }), 201);
  const tierRead = ok("get price", await staff.GET("/v1/price-lists/{price_list}/prices/{price}", {
    params: { path: { price_list: list.id, price: tier.id } },
  }), 200);
  check(tierRead.id === tier.id && tierRead.amount === 4500 && tierRead.min_quantity === 10, "the tier price read back");
  check(ok("list prices", await staff.GET("/v1/price-lists/{price_list}/prices", { params: { path: { price_list: list.id } } }), 200).data.length === 2, "two prices");
  ok("remove price", await staff.DELETE("/v1/price-lists/{price_list}/prices/{price}", {
    params: { path: { price_list: list.id, price: tier.id } },
  }), 200);
  ok("read stock", await staff.GET("/v1/inventory/{variant}", { params: { path: { variant } } }), 200);
  check(ok("adjust stock", await staff.POST("/v1/inventory/{variant}/adjust", {
    params: { path: { variant } }, body: { delta: 5, reason: "count" },
  }), 200).on_hand === 15, "10 + 5 on hand");
  const tax = ok("tax settings", await staff.GET("/v1/tax-settings", {}), 200);
  ok("set tax settings", await staff.PUT("/v1/tax-settings", {
    params: { header: ifMatch(tax.version) }, body: { rounding_mode: "half_up" },
  }), 200);
  const rate = ok("create tax rate", await staff.POST("/v1/tax-rates", { body: { name: `Zero ${run}`, category: `books-${run}`, rate_ppm: 0 } }), 201);
  check(ok("get tax rate", await staff.GET("/v1/tax-rates/{id}", { params: { path: { id: rate.id } } }), 200).category === `books-${run}`,
    "the tax rate read back");
  ok("list tax rates", await staff.GET("/v1/tax-rates", {}), 200);
}

async function tourOrders(customer: Client, variant: string, paidOrder: string, payment: string): Promise<void> {
  const refunded = ok("refund", await staff.POST("/v1/payments/{id}/refunds", {
    params: { path: { id: payment } }, body: { amount: 100, reason: "scratch" },
  }), 201);
  check(refunded.status === "partially_refunded" && refunded.amount_refunded === 100, "1.00 EUR refunded");
  const read = ok("get payment", await staff.GET("/v1/payments/{id}", { params: { path: { id: payment } } }), 200);
  check(read.transactions?.length === 3, "authorize, capture, refund");
  check(ok("fulfil", await staff.POST("/v1/orders/{id}/fulfill", { params: { path: { id: paidOrder } } }), 200).status === "fulfilled", "fulfilled");
  const second = ok("checkout", await customer.POST("/v1/checkout", {
    body: { currency: "EUR", lines: [{ variant_id: variant, quantity: 1 }] },
  }), 201);
  check(second.status === "placed", "checked out");
  const auth = ok("authorize", await customer.POST("/v1/orders/{order_id}/payments", {
    params: { path: { order_id: second.id } }, body: { provider: "manual", amount: 1000 },
  }), 201);
  check(ok("void", await staff.POST("/v1/payments/{id}/void", { params: { path: { id: auth.id } } }), 200).status === "voided", "voided");
  const draft = ok("another cart", await customer.POST("/v1/orders", {
    body: { currency: "EUR", lines: [{ variant_id: variant, quantity: 1 }] },
  }), 201);
  const line = draft.lines[0];
  check(line !== undefined, "a line");
  ok("remove line", await customer.DELETE("/v1/orders/{order_id}/lines/{line_id}", {
    params: { path: { order_id: draft.id, line_id: line.id } },
  }), 200);
  check(ok("cancel", await staff.POST("/v1/orders/{id}/cancel", { params: { path: { id: second.id } } }), 200).status === "cancelled", "cancelled");
  check(ok("list orders", await staff.GET("/v1/orders", { params: { query: { limit: 2 } } }), 200).next_cursor !== null, "more than one page");
}

/* Issue 17: shipping methods, the cart's address and method, checkout with both. */
async function tourShipping(customer: Client, variant: string): Promise<void> {
  const method = ok("create shipping method", await staff.POST("/v1/shipping-methods", {
    body: { name: `Standard ${run}`, kind: "flat_rate", currency: "EUR", amount: 490, countries: ["DE", "AT"] },
  }), 201);
  check(method.kind === "flat_rate" && method.countries.length === 2, "the method");
  ok("get shipping method", await customer.GET("/v1/shipping-methods/{id}", { params: { path: { id: method.id } } }), 200);
  ok("list shipping methods", await customer.GET("/v1/shipping-methods", {}), 200);
  const changed = ok("update shipping method", await staff.PATCH("/v1/shipping-methods/{id}", {
    params: { path: { id: method.id }, header: ifMatch(method.version) }, body: { amount: 590 },
  }), 200);
  check(changed.amount === 590, "the new amount");
  const cart = ok("cart to ship", await customer.POST("/v1/orders", {
    body: { currency: "EUR", lines: [{ variant_id: variant, quantity: 1 }] },
  }), 201);
  const addressed = ok("set addresses", await customer.PUT("/v1/orders/{id}/addresses", {
    params: { path: { id: cart.id } },
    body: { shipping_address: { line1: "1 Hauptstr.", city: "Berlin", postal_code: "10115", country: "DE" } },
  }), 200);
  check(addressed.shipping_address?.country === "DE" && addressed.billing_address === null, "the address");
  const options = ok("list shipping options", await customer.GET("/v1/orders/{order_id}/shipping-options", {
    params: { path: { order_id: cart.id } },
  }), 200);
  check(options.data.some((o) => o.shipping_method_id === method.id && o.amount === 590), "the method is an option");
  const shipped = ok("set shipping method", await customer.PUT("/v1/orders/{id}/shipping-method", {
    params: { path: { id: cart.id } }, body: { shipping_method_id: method.id },
  }), 200);
  check(shipped.shipping_total === 590 && shipped.shipping_method?.name === `Standard ${run}`, "shipping priced into the cart");
  check(shipped.total === shipped.subtotal + shipped.shipping_total + (shipped.prices_include_tax ? 0 : shipped.tax_total),
    "the total is the sum of its parts");
  const placed = ok("checkout with shipping", await customer.POST("/v1/checkout", {
    body: { currency: "EUR", lines: [{ variant_id: variant, quantity: 1 }], shipping_method_id: method.id,
            shipping_address: { line1: "2 Ring", city: "Vienna", country: "AT" } },
  }), 201);
  check(placed.shipping_method?.amount === 590, "the snapshot");
  const archived = ok("archive shipping method", await staff.POST("/v1/shipping-methods/{id}/archive", {
    params: { path: { id: method.id } },
  }), 200);
  check(archived.status === "archived", "archived");
}

/* Issue 17: staff make a promotion with a code; a customer's cart applies,
 * removes and re-applies it and checks out with it; staff archive both. */
async function tourPromotions(customer: Client, variant: string): Promise<void> {
  const promo = ok("create promotion", await staff.POST("/v1/promotions", {
    body: { name: `Ten ${run}`, type: "percentage", percent_ppm: 100000, min_subtotal: { EUR: 1000 } },
  }), 201);
  check(promo.type === "percentage" && promo.status === "active" && !promo.automatic, "a code promotion");
  check(ok("get promotion", await staff.GET("/v1/promotions/{id}", { params: { path: { id: promo.id } } }), 200).id === promo.id, "read back");
  ok("update promotion", await staff.PATCH("/v1/promotions/{id}", { params: { path: { id: promo.id } }, body: { combinable: true } }), 200);
  ok("list promotions", await staff.GET("/v1/promotions", {}), 200);
  const code = ok("create code", await staff.POST("/v1/promotions/{promotion_id}/codes", {
    params: { path: { promotion_id: promo.id } }, body: { code: `ten-${run}`, usage_limit: 5 },
  }), 201);
  check(code.code === `TEN-${run}`.toUpperCase() && code.used === 0, "stored upper-case, unused");
  ok("get code", await staff.GET("/v1/promotion-codes/{id}", { params: { path: { id: code.id } } }), 200);
  ok("update code", await staff.PATCH("/v1/promotion-codes/{id}", { params: { path: { id: code.id } }, body: { per_customer_limit: 2 } }), 200);
  check(ok("list codes", await staff.GET("/v1/promotions/{promotion_id}/codes", { params: { path: { promotion_id: promo.id } } }), 200).data.length === 1, "one code");
  const cart = ok("a cart for the code", await customer.POST("/v1/orders", {
    body: { currency: "EUR", lines: [{ variant_id: variant, quantity: 1 }] },
  }), 201);
  const applied = ok("apply code", await customer.POST("/v1/orders/{order_id}/discount-codes", {
    params: { path: { order_id: cart.id } }, body: { code: code.code },
  }), 200);
  check(applied.discount_total === 490 && applied.discounts[0]?.code === code.code, "10 % of 49.00 shown on the cart");
  check(ok("remove code", await customer.DELETE("/v1/orders/{order_id}/discount-codes/{code}", {
    params: { path: { order_id: cart.id, code: code.code } },
  }), 200).discount_total === 0, "removed");
  const placed = ok("checkout with a code", await customer.POST("/v1/checkout", {
    body: { currency: "EUR", lines: [{ variant_id: variant, quantity: 1 }], discount_code: code.code },
  }), 201);
  check(placed.discount_total === 490 && placed.total === placed.subtotal - 490 + placed.tax_total, "the discount in the total");
  const refused = await customer.GET("/v1/promotions", {});
  check(refused.response.status === 403, "a customer cannot list promotions");
  check(ok("archive code", await staff.POST("/v1/promotion-codes/{id}/archive", { params: { path: { id: code.id } } }), 200).status === "archived", "code archived");
  check(ok("archive promotion", await staff.POST("/v1/promotions/{id}/archive", { params: { path: { id: promo.id } } }), 200).status === "archived", "promotion archived");
}

async function tourTenants(): Promise<void> {
  const admin = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token("platform_admin", "ops")}` } });
  const t = ok("create tenant", await admin.POST("/v1/tenants", {
    body: { slug: `t-${run}`, name: `Tenant ${run}`, default_currency: "JPY" },
  }), 201);
  const suspended = await admin.POST("/v1/tenants/{tenant}/suspend", { params: { path: { tenant: t.id } } });
  check(suspended.response.status === 204, `suspend: ${suspended.response.status}`);
  const active = await admin.POST("/v1/tenants/{tenant}/activate", { params: { path: { tenant: t.id } } });
  check(active.response.status === 204, `activate: ${active.response.status}`);
  const read = ok("get tenant", await admin.GET("/v1/tenants/{id}", { params: { path: { id: t.id } } }), 200);
  check(read.slug === `t-${run}` && read.status === "active" && read.default_currency === "JPY", "the tenant read back");
}

/* A plugin the test registered (commerce.register_plugin): on, then off again. */
async function tourPlugins(): Promise<void> {
  const listed = ok("list plugins", await staff.GET("/v1/plugins", {}), 200);
  const plugin = listed.data[0];
  check(plugin !== undefined && listed.next_cursor === null, "a registered plugin, in one page");
  const on = ok("enable plugin", await staff.POST("/v1/plugins/{plugin}/enable", { params: { path: { plugin: plugin.name } } }), 200);
  check(on.plugin === plugin.name && on.enabled, "enabled");
  check(ok("list plugins again", await staff.GET("/v1/plugins", {}), 200).data.some((p) => p.name === plugin.name && p.enabled),
    "listed as enabled for this tenant");
  const off = ok("disable plugin", await staff.POST("/v1/plugins/{plugin}/disable", { params: { path: { plugin: plugin.name } } }), 200);
  check(off.plugin === plugin.name && !off.enabled, "disabled");
}

/* Issue 17: a publishable key made by staff; a guest cart through the
 * /v1/store routes with its secret; an identity link; a customer claims the
 * guest order; the key is revoked. (docs/storefront.md) */
async function tourStorefront(variant: string): Promise<void> {
  const made = ok("create storefront key", await staff.POST("/v1/storefront-keys", { body: { label: `web ${run}` } }), 201);
  check(typeof made.key === "string" && made.key.startsWith("pk_"), "the key, shown once");
  const keys = ok("list storefront keys", await staff.GET("/v1/storefront-keys", { params: { query: { limit: 200 } } }), 200);
  check(keys.data.some((k) => k.id === made.id && k.key === undefined), "listed without the key");
  ok("get storefront key", await staff.GET("/v1/storefront-keys/{id}", { params: { path: { id: made.id } } }), 200);
  const shop = createClient<paths>({ baseUrl, headers: { "X-Publishable-Key": made.key ?? "" } });
  const products = ok("store products", await shop.GET("/v1/store/products", { params: { query: { limit: 200 } } }), 200);
  check(products.data.every((p) => p.status === "active"), "active products only");
  const product = products.data[0];
  check(product !== undefined, "an active product");
  ok("store product", await shop.GET("/v1/store/products/{id}", { params: { path: { id: product.id } } }), 200);
  const categories = ok("store categories", await shop.GET("/v1/store/categories", {}), 200);
  const category = categories.data[0];
  check(category !== undefined, "a category");
  ok("store category", await shop.GET("/v1/store/categories/{id}", { params: { path: { id: category.id } } }), 200);
  const price = ok("store price", await shop.GET("/v1/store/prices/resolve", {
    params: { query: { variant, currency: "EUR", quantity: 1 } },
  }), 200);
  check(price.unit_amount === 4900, "the anonymous price");
  const created = await shop.POST("/v1/store/carts", { body: { currency: "EUR" } });
  const cart = ok("create cart", created, 201);
  check(created.response.headers.get("Location") === `/v1/store/carts/${cart.id}`, "Location of the cart");
  const header = { "X-Cart-Secret": cart.cart_secret };
  const withLine = ok("add cart line", await shop.POST("/v1/store/carts/{id}/lines", {
    params: { path: { id: cart.id }, header }, body: { variant_id: variant, quantity: 2 },
  }), 200);
  const line = withLine.lines[0];
  check(line !== undefined && line.quantity === 2, "the cart's line");
  ok("change cart line", await shop.PATCH("/v1/store/carts/{id}/lines/{line_id}", {
    params: { path: { id: cart.id, line_id: line.id }, header }, body: { quantity: 1 },
  }), 200);
  const emptied = ok("remove cart line", await shop.DELETE("/v1/store/carts/{id}/lines/{line_id}", {
    params: { path: { id: cart.id, line_id: line.id }, header },
  }), 200);
  check(emptied.lines.length === 0, "an empty cart");
  ok("add cart line again", await shop.POST("/v1/store/carts/{id}/lines", {
    params: { path: { id: cart.id }, header }, body: { variant_id: variant, quantity: 1 },
  }), 200);
  // search, the cart's address, shipping method and a discount code (session 8)
  const found = ok("store search", await shop.GET("/v1/store/products", { params: { query: { q: product.title.split(" ")[0] } } }), 200);
  check(found.data.some((p) => p.id === product.id), "q finds the product");
  const storeMethod = ok("create store shipping method", await staff.POST("/v1/shipping-methods", {
    body: { name: `Store ${run}`, kind: "flat_rate", currency: "EUR", amount: 500, countries: ["FR"] },
  }), 201);
  const promo = ok("create store promotion", await staff.POST("/v1/promotions", {
    body: { name: `Shop ${run}`, type: "fixed", amounts: { EUR: 900 } },
  }), 201);
  ok("create store code", await staff.POST("/v1/promotions/{promotion_id}/codes", {
    params: { path: { promotion_id: promo.id } }, body: { code: `SHOP-${run}` },
  }), 201);
  const addressed = ok("set cart addresses", await shop.PUT("/v1/store/carts/{id}/addresses", {
    params: { path: { id: cart.id }, header },
    body: { shipping_address: { line1: "1 rue de Rivoli", city: "Paris", postal_code: "75001", country: "FR" } },
  }), 200);
  check(addressed.shipping_address?.country === "FR", "the cart's address");
  const storeOptions = ok("list cart shipping options", await shop.GET("/v1/store/carts/{id}/shipping-options", {
    params: { path: { id: cart.id }, header },
  }), 200);
  check(storeOptions.data.some((o) => o.shipping_method_id === storeMethod.id && o.amount === 500), "the method is an option");
  const shippedCart = ok("set cart shipping method", await shop.PUT("/v1/store/carts/{id}/shipping-method", {
    params: { path: { id: cart.id }, header }, body: { shipping_method_id: storeMethod.id },
  }), 200);
  check(shippedCart.shipping_total === 500, "shipping priced into the cart");
  ok("apply cart discount code", await shop.POST("/v1/store/carts/{id}/discount-codes", {
    params: { path: { id: cart.id }, header }, body: { code: `shop-${run}` },
  }), 200);
  const uncoded = ok("remove cart discount code", await shop.DELETE("/v1/store/carts/{id}/discount-codes/{code}", {
    params: { path: { id: cart.id, code: `SHOP-${run}` }, header },
  }), 200);
  check(uncoded.discount_total === 0, "the code taken off");
  const coded = ok("apply cart discount code again", await shop.POST("/v1/store/carts/{id}/discount-codes", {
    params: { path: { id: cart.id }, header }, body: { code: `SHOP-${run}` },
  }), 200);
  check(coded.discount_total === 900, "9.00 EUR off");
  const withEmail = ok("set cart email", await shop.PATCH("/v1/store/carts/{id}", {
    params: { path: { id: cart.id }, header }, body: { email: `guest-${run}@example.com` },
  }), 200);
  check(withEmail.email === `guest-${run}@example.com`, "the guest's email");
  const placed = ok("place cart", await shop.POST("/v1/store/carts/{id}/place", { params: { path: { id: cart.id }, header } }), 200);
  check(placed.status === "placed" && placed.discount_total === 900 && placed.shipping_total === 500, "placed with the code and the method");
  check(placed.total === placed.subtotal - placed.discount_total + placed.shipping_total + (placed.prices_include_tax ? 0 : placed.tax_total),
    "its total is the sum of its parts");
  const paid = ok("pay cart", await shop.POST("/v1/store/carts/{id}/payments", {
    params: { path: { id: cart.id }, header }, body: { provider: "test" },
  }), 201);
  check(paid.status === "authorized" && paid.amount_authorized === placed.total, "authorized through the test provider");
  const confirmation = ok("read cart", await shop.GET("/v1/store/carts/{id}", { params: { path: { id: cart.id }, header } }), 200);
  check(confirmation.payment_status === "authorized", "the confirmation");
  const buyer = ok("create buyer", await staff.POST("/v1/customers", { body: { email: `buyer-${run}@example.com` } }), 201);
  const link = ok("link identity", await staff.POST("/v1/customers/{customer_id}/identities", {
    params: { path: { customer_id: buyer.id } }, body: { issuer: "https://id.example.com/", subject: `sub-${run}` },
  }), 201);
  ok("list identities", await staff.GET("/v1/customers/{customer_id}/identities", { params: { path: { customer_id: buyer.id } } }), 200);
  ok("get identity", await staff.GET("/v1/customers/{customer_id}/identities/{identity_id}", {
    params: { path: { customer_id: buyer.id, identity_id: link.id } },
  }), 200);
  ok("unlink identity", await staff.DELETE("/v1/customers/{customer_id}/identities/{identity_id}", {
    params: { path: { customer_id: buyer.id, identity_id: link.id } },
  }), 200);
  const asBuyer = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token("customer", buyer.id)}` } });
  const claimed = ok("claim guest order", await asBuyer.POST("/v1/orders/{id}/claim", { params: { path: { id: cart.id }, header } }), 200);
  check(claimed.customer_id === buyer.id, "the buyer's order now");
  const revoked = ok("revoke storefront key", await staff.POST("/v1/storefront-keys/{id}/revoke", { params: { path: { id: made.id } } }), 200);
  check(revoked.revoked_at !== null, "revoked");
  const refused = await shop.GET("/v1/store/products", {});
  check(refused.response.status === 401, "a revoked key: 401");
}

async function main(): Promise<void> {
  const { variant } = await catalog();
  const me = ok("create customer", await staff.POST("/v1/customers", {
    body: { email: `ann-${run}@example.com`, first_name: "Ann" },
  }), 201);
  const customer = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token("customer", me.id)}` } });
  const order = await cart(customer, variant);
  check(order.customer_id === me.id && order.total === 9800, "the customer's order, 98.00 EUR");
  const auth = await customer.POST("/v1/orders/{order_id}/payments", {
    params: { path: { order_id: order.id } }, body: { provider: "manual" },
  });
  const payment = ok("authorize", auth, 201);
  check(auth.response.headers.get("Location") === `/v1/payments/${payment.id}`, "Location of the payment");
  check(payment.status === "authorized" && payment.amount_capturable === 9800, "authorized in full");
  const etag = auth.response.headers.get("ETag") ?? "";
  const captured = ok("capture", await staff.POST("/v1/payments/{id}/capture", {
    params: { path: { id: payment.id }, header: { "If-Match": etag } }, body: {},
  }), 200);
  check(captured.status === "captured" && captured.transaction?.kind === "capture", "captured");
  const stale = await staff.POST("/v1/payments/{id}/capture", {
    params: { path: { id: payment.id }, header: { "If-Match": etag } }, body: {},
  });
  check(stale.response.status === 412 && stale.error?.error.code === "version_conflict", "a stale If-Match is 412");
  const paid = ok("read order", await customer.GET("/v1/orders/{id}", { params: { path: { id: order.id } } }), 200);
  check(paid.status === "paid" && paid.amount_captured === 9800, "paid");
  const mine = ok("list payments", await customer.GET("/v1/orders/{order_id}/payments", {
    params: { path: { order_id: order.id }, query: { limit: 10 } },
  }), 200);
  check(mine.data.length === 1 && mine.next_cursor === null, "one payment");
  const missing = await customer.GET("/v1/orders/{id}", { params: { path: { id: randomUUID() } } });
  check(missing.response.status === 404 && missing.error?.error.code === "not_found", "a typed 404");
  await tourCustomers(me.id);
  await tourCatalog(variant);
  await tourOrders(customer, variant, order.id, payment.id);
  await tourShipping(customer, variant);
  await tourPromotions(customer, variant);
  await tourTenants();
  await tourPlugins();
  await tourStorefront(variant);
  await events(["product.created", "order.placed", "payment.authorized", "payment.captured", "order.fulfilled"]);
  console.log("flow ok");
}

// Never called: what strict tsc must refuse, so the types are real ones.
export function refused(): void {
  // @ts-expect-error title is a string
  void staff.POST("/v1/products", { body: { title: 5 } });
  // @ts-expect-error quantity is required
  void staff.POST("/v1/orders/{order_id}/lines", { params: { path: { order_id: "x" } }, body: { variant_id: "x" } });
  // @ts-expect-error no such status
  void staff.GET("/v1/products", { params: { query: { status: "deleted" } } });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
