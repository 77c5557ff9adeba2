# test/t/310_catalog_concurrency.pl — customer and catalog rules hold when
# many sessions write at once: one winner for an email (whatever its case)
# or a SKU, the others email_taken / sku_taken (never a bare unique
# violation); one execution per idempotency key; expected_version lets one
# of many concurrent updates through; at most 20 addresses and exactly one
# default address per customer.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('catalog_concurrency');
my $tenant = $node->safe_psql('commerce', q{
	CREATE ROLE cat_partner LOGIN;
	SELECT commerce.create_tenant('cat-conc', 'Concurrency', 'EUR');
});
$node->safe_psql('commerce', "SELECT commerce.bind_role('cat_partner', '$tenant')");

sub partner_sql
{
	my ($sql) = @_;
	return $node->safe_psql('commerce', $sql, extra_params => [ '-U', 'cat_partner' ]);
}

# run_concurrently(SQLS) — one psql session per SQL, started at once, each
# in one transaction held a moment ($hold seconds) before COMMIT; returns a
# hash counting 'committed' and each error as "SQLSTATE code".
our $hold = 0.3;
my $round = 0;
sub run_concurrently
{
	my (@sqls) = @_;
	my $tmpdir = PostgreSQL::Test::Utils::tempdir("round" . $round++);
	my (@runs, @outputs);
	for my $i (0 .. $#sqls)
	{
		# a script file, not stdin: IPC::Run feeds a scalar stdin only when
		# the harness is pumped, which would run the sessions one by one
		my $file = "$tmpdir/session_$i.sql";
		append_to_file($file, "\\set VERBOSITY verbose\n\\set ON_ERROR_STOP 1\nBEGIN;\n$sqls[$i]\nSELECT pg_sleep($hold);\nCOMMIT;\n");
		$outputs[$i] = { out => '', err => '' };
		push @runs, IPC::Run::start(
			[ 'psql', '-X', '-q', '-d', $node->connstr('commerce'), '-U', 'cat_partner', '-f', $file ],
			'<', \undef, '>', \$outputs[$i]{out}, '2>', \$outputs[$i]{err});
	}
	my %count;
	for my $i (0 .. $#sqls)
	{
		$runs[$i]->finish;
		if ($? == 0) { $count{committed}++; next; }
		my $err = $outputs[$i]{err};
		my ($state) = $err =~ /ERROR:\s+([0-9A-Z]{5}):/;
		my ($code) = $err =~ /CONSTRAINT NAME:\s+(\S+)/;
		$count{ ($state // '?') . ' ' . ($code // '?') }++;
	}
	return \%count;
}

# emails: one winner whatever the case
my @cases = map { my $e = $_ % 2 ? 'Same@Example.com' : 'same@EXAMPLE.com';
	"SELECT commerce.create_customer('{\"email\": \"$e\"}');" } 1 .. 12;
is_deeply(run_concurrently(@cases), { committed => 1, '23505 email_taken' => 11 },
	'12 concurrent sign-ups with one email in two cases: one customer, 11 email_taken');
is(partner_sql("SELECT count(*) FROM commerce.customers"), '1', 'exactly one customer row');

# SKUs: one winner
my $product = partner_sql(q{SELECT commerce.create_product('{"title": "Tea"}')->>'id'});
is_deeply(run_concurrently(map { "SELECT commerce.create_variant('$product', '{\"sku\": \"TEA-1\", \"title\": \"v$_\"}');" } 1 .. 10),
	{ committed => 1, '23505 sku_taken' => 9 }, '10 concurrent variants with one SKU: one variant, 9 sku_taken');
is(partner_sql("SELECT count(*) FROM commerce.variants WHERE sku = 'TEA-1'"), '1', 'exactly one variant row with the SKU');

# idempotency: one execution per key
my $key_counts;
{
	local $hold = 1;	# the first holds its key while the others arrive
	$key_counts = run_concurrently(map { "SELECT commerce.create_customer('{\"email\": \"key\@example.com\"}', 'signup-key');" } 1 .. 8);
}
is(($key_counts->{committed} // 0) + ($key_counts->{'55P03 idempotency_key_in_use'} // 0), 8,
	'8 concurrent requests with one key: each committed (first or replay) or met idempotency_key_in_use');
ok(($key_counts->{'55P03 idempotency_key_in_use'} // 0) >= 1, 'requests overlapping the first were told the key is in use')
  or diag(explain($key_counts));
is(partner_sql("SELECT count(*) FROM commerce.customers WHERE email = 'key\@example.com'"), '1', 'the command ran once');

# expected_version: one of many concurrent updates
my $customer = partner_sql(q{SELECT commerce.create_customer('{"email": "v@example.com"}')->>'id'});
is_deeply(run_concurrently(map { "SELECT commerce.update_customer('$customer', '{\"first_name\": \"n$_\"}', 1);" } 1 .. 6),
	{ committed => 1, '40001 version_conflict' => 5 }, '6 concurrent updates of version 1: one applied, 5 version_conflict');
is(partner_sql("SELECT version FROM commerce.customers WHERE id = '$customer'"), '2', 'the customer is at version 2');

# addresses: at most 20, one default
is_deeply(run_concurrently(map { "SELECT commerce.add_customer_address('$customer', '{\"line1\": \"$_ Road\", \"city\": \"Town\", \"country\": \"GB\", \"is_default_shipping\": true}');" } 1 .. 26),
	{ committed => 20, '54000 too_many_addresses' => 6 }, '26 concurrent address adds: 20 added, 6 too_many_addresses');
is(partner_sql("SELECT count(*) || '/' || count(*) FILTER (WHERE is_default_shipping) FROM commerce.customer_addresses WHERE customer_id = '$customer'"),
	'20/1', '20 addresses, exactly one of them the default shipping address');

$node->stop;
done_testing();
