# test/t/710_list_filters_plans.pl — the plan test of the list filters
# (docs/filters.md, issue 17): 100,000 products (with a variant each) and
# 100,000 orders in one tenant, 50,000 customers, plus another tenant's
# rows; ANALYZE; then every filter, q and sort of list_products,
# list_variants, list_orders and list_customers runs through the real
# command, and auto_explain (JSON, nested statements) shows the plans of
# the command's own statement: each reads its table through an index and
# never with a sequential scan. Each shape runs 7 times, so the plan cache's
# generic plan (from the 6th call on) is checked as well as the custom ones.
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('filters_plans', extra_conf => "max_wal_size = 1GB\n");
my $a = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('plans-a', 'A', 'EUR')});
my $b = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('plans-b', 'B', 'EUR')});

# The rows, written directly by the superuser (the commands would take
# minutes): tenant A 100,000 products; B 20,000.
for my $t ([ $a, 100000 ], [ $b, 20000 ])
{
	my ($tenant, $n) = @$t;
	$node->safe_psql('commerce', qq{
		INSERT INTO commerce.products (tenant_id, id, title, handle, status, created_at, updated_at)
		SELECT '$tenant', commerce.uuid_generate_v7(),
		       (ARRAY['Blue','Red','Green','Black','White','Grey','Pink','Navy','Olive','Sand'])[1 + i % 10] || ' '
		       || (ARRAY['Shirt','Mug','Cap','Sock','Scarf','Bag','Belt','Coat','Hat','Vest'])[1 + (i / 10) % 10]
		       || ' w' || i,
		       'product-' || i,
		       CASE WHEN i % 100 = 0 THEN 'archived' WHEN i % 10 = 0 THEN 'draft' ELSE 'active' END,
		       now() - (i || ' minutes')::interval, now() - (i || ' seconds')::interval
		  FROM generate_series(1, $n) i;
		INSERT INTO commerce.variants (tenant_id, id, product_id, sku)
		SELECT tenant_id, commerce.uuid_generate_v7(), id, 'SKU-' || substr(handle, 9)
		  FROM commerce.products WHERE tenant_id = '$tenant';
		INSERT INTO commerce.customers (tenant_id, id, email, created_at)
		SELECT '$tenant', commerce.uuid_generate_v7(), 'c' || i || '\@example.com', now() - (i || ' minutes')::interval
		  FROM generate_series(1, $n / 2) i;
		INSERT INTO commerce.orders (tenant_id, id, number, customer_id, status, currency, subtotal, total, created_at, placed_at)
		SELECT '$tenant', commerce.uuid_generate_v7(),
		       CASE WHEN i % 5 = 0 THEN NULL ELSE i END,
		       c.id,
		       CASE WHEN i % 5 = 0 THEN 'draft' WHEN i % 7 = 0 THEN 'cancelled' WHEN i % 3 = 0 THEN 'paid' ELSE 'placed' END,
		       'EUR', CASE WHEN i % 5 = 0 THEN 0 ELSE i * 10 END, CASE WHEN i % 5 = 0 THEN 0 ELSE i * 10 END,
		       now() - (i || ' minutes')::interval,
		       CASE WHEN i % 5 = 0 THEN NULL ELSE now() - (i || ' minutes')::interval END
		  FROM generate_series(1, $n) i
		  JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM commerce.customers WHERE tenant_id = '$tenant') c
		    ON c.k = 1 + i % ($n / 2);
	});
}
$node->safe_psql('commerce', 'VACUUM ANALYZE commerce.products, commerce.variants, commerce.orders, commerce.customers');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.products WHERE tenant_id = '$a'"), 100000,
	'100,000 products in tenant A');

my $customer = $node->safe_psql('commerce', "SELECT id FROM commerce.customers WHERE tenant_id = '$a' AND email = 'c4242\@example.com'");
my $product = $node->safe_psql('commerce', "SELECT id FROM commerce.products WHERE tenant_id = '$a' AND handle = 'product-4242'");
my $since = $node->safe_psql('commerce', q{SELECT to_char((now() - interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')});

# list command, filter, the table it must read through an index, the index
my @cases = (
	[ 'list_products', '{"handle": "product-4242"}', 'products', 'products_handle_key' ],
	[ 'list_products', '{"handle[in]": "product-1,product-2,product-3"}', 'products', 'products_handle_key' ],
	[ 'list_products', '{"status": "archived"}', 'products', 'products_status_idx' ],
	[ 'list_products', '{"status[in]": "archived,draft"}', 'products', undef ],
	[ 'list_products', '{"status": "active"}', 'products', undef ],
	[ 'list_products', '{"sku": "SKU-4242"}', 'variants', 'variants_sku_key' ],
	[ 'list_products', '{"category_id": "01900000-0000-7000-8000-000000000000"}', 'products', 'products_category_idx' ],
	[ 'list_products', qq({"created_at[gte]": "$since"}), 'products', 'products_created_idx' ],
	[ 'list_products', '{"created_at[lt]": "2000-01-01", "created_at[gt]": "1999-01-01"}', 'products', 'products_created_idx' ],
	[ 'list_products', '{"updated_at[gt]": "1999-01-01", "updated_at[lt]": "2000-01-01"}', 'products', 'products_updated_idx' ],
	[ 'list_products', qq({"updated_at[gt]": "$since", "updated_at[lte]": "2999-01-01T00:00:00Z"}), 'products', undef ],
	[ 'list_products', '{"sort": "-created_at"}', 'products', 'products_created_idx' ],
	[ 'list_products', '{"sort": "updated_at", "status": "archived"}', 'products', undef ],
	[ 'list_products', '{"q": "w4242"}', 'products', 'products_title_search_idx' ],
	[ 'list_products', '{"q": "sku-4242"}', 'variants', 'variants_sku_search_idx' ],
	[ 'list_products', '{"q": "navy hat w42"}', 'products', 'products_title_search_idx' ],
	[ 'list_variants', '{"sku": "SKU-4242"}', 'variants', undef, $product ],
	[ 'list_variants', '{"sku[in]": "SKU-4242,SKU-1"}', 'variants', undef, $product ],
	[ 'list_orders', '{"status": "cancelled"}', 'orders', undef ],
	[ 'list_orders', '{"status[in]": "cancelled,draft"}', 'orders', undef ],
	[ 'list_orders', qq({"customer_id": "$customer"}), 'orders', 'orders_customer_idx' ],
	[ 'list_orders', qq({"customer_id[in]": "$customer,01900000-0000-7000-8000-000000000000"}), 'orders', 'orders_customer_idx' ],
	[ 'list_orders', '{"number": 4242}', 'orders', 'orders_number_key' ],
	[ 'list_orders', '{"number[in]": "1,2,3"}', 'orders', 'orders_number_key' ],
	[ 'list_orders', qq({"created_at[gte]": "$since"}), 'orders', 'orders_created_idx' ],
	[ 'list_orders', '{"created_at[lt]": "2000-01-01"}', 'orders', 'orders_created_idx' ],
	[ 'list_orders', '{"total[gte]": 999000}', 'orders', 'orders_total_idx' ],
	[ 'list_orders', '{"total[gt]": 100, "total[lt]": 200}', 'orders', 'orders_total_idx' ],
	[ 'list_orders', '{"total": 4240}', 'orders', 'orders_total_idx' ],
	[ 'list_orders', '{"total[lte]": 100}', 'orders', undef ],
	[ 'list_orders', '{"sort": "-total"}', 'orders', 'orders_total_idx' ],
	[ 'list_orders', '{"sort": "created_at"}', 'orders', 'orders_created_idx' ],
	[ 'list_customers', '{"email": "C4242@example.com"}', 'customers', 'customers_email_key' ],
	[ 'list_customers', '{"group_id": "01900000-0000-7000-8000-000000000000"}', 'customers', 'customers_group_idx' ],
	[ 'list_customers', qq({"created_at[gte]": "$since"}), 'customers', 'customers_created_idx' ],
	[ 'list_customers', '{"sort": "-created_at"}', 'customers', 'customers_created_idx' ],
);

# The plans auto_explain logs for one SQL script (LOG messages to the client)
sub plans_of
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('commerce', qq{
		LOAD 'auto_explain';
		SET auto_explain.log_min_duration = 0;
		SET auto_explain.log_nested_statements = on;
		SET auto_explain.log_format = json;
		SET client_min_messages = log;
		BEGIN;
		SELECT commerce.set_context('$a');
		$sql
		COMMIT;});
	die "psql failed: $err" if $ret != 0;
	my @plans;
	my $json = JSON::PP->new;
	while ($err =~ /plan:\s*\n/g)
	{
		my ($plan) = $json->decode_prefix(substr($err, pos($err)));
		push @plans, $plan->{Plan};
	}
	return @plans;
}

# Every node of a plan tree (InitPlans and SubPlans are children too)
sub nodes
{
	my ($n) = @_;
	return ($n, map { nodes($_) } @{ $n->{Plans} // [] });
}

for my $c (@cases)
{
	my ($list, $filter, $table, $index, $parent) = @$c;
	my $call = $parent
	  ? "SELECT commerce.$list('$parent', 50, NULL, '$filter') IS NOT NULL;"
	  : "SELECT commerce.$list(filter => '$filter') IS NOT NULL;";
	my @plans = grep { grep { ($_->{'Relation Name'} // '') eq $table } nodes($_) } plans_of($call x 7);
	my @nodes = map { nodes($_) } @plans;
	my %tables = map { ($_ => 1) } qw(products variants orders customers);
	my @seq = grep { $_->{'Node Type'} =~ /Seq Scan/ && $tables{ $_->{'Relation Name'} // '' } } @nodes;
	# a Bitmap Index Scan names its index only; the index names its table
	my %used = map { ($_->{'Index Name'} => 1) }
	  grep { defined $_->{'Index Name'} && ($_->{'Relation Name'} // $_->{'Index Name'}) =~ /^\Q$table\E/ } @nodes;
	is(scalar @plans, 7, "$list $filter: 7 plans of its statement");
	is(scalar @seq, 0, "$list $filter: no sequential scan")
	  or diag(join(', ', map { "$_->{'Node Type'} on $_->{'Relation Name'}" } @seq));
	if ($index)
	{
		ok($used{$index}, "$list $filter: reads $table through $index")
		  or diag('indexes used: ' . join(', ', sort keys %used));
	}
	else
	{
		ok(%used, "$list $filter: reads $table through an index (" . join(', ', sort keys %used) . ')');
	}
}

# the same filters never show tenant B's rows: B's customer in A's context
my $bcust = $node->safe_psql('commerce', "SELECT id FROM commerce.customers WHERE tenant_id = '$b' LIMIT 1");
is($node->safe_psql('commerce', qq{BEGIN; SELECT FROM commerce.set_context('$a');
	SELECT jsonb_array_length(commerce.list_orders(filter => '{"customer_id": "$bcust"}') -> 'data'); COMMIT;}),
	"0", "tenant B's customer_id in tenant A: no orders");

$node->stop;
done_testing();
