# test/t/010_inventory_concurrency.pl — no oversell under concurrency: many
# sessions reserve the same variant at once (each holding its row lock a
# moment before committing) and exactly as many units as were on hand are
# reserved, the others fail with insufficient_stock; concurrent releases,
# fulfilments and adjustments leave exact figures.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('inventory_concurrency');
my $tenant = $node->safe_psql('commerce', q{
	CREATE ROLE inv_partner LOGIN;
	SELECT commerce.create_tenant('inv-conc', 'Concurrency', 'EUR');
});
$node->safe_psql('commerce', qq{
	SELECT commerce.bind_role('inv_partner', '$tenant');
	INSERT INTO commerce.products (tenant_id, id, title, handle, status)
	VALUES ('$tenant', '00000000-0000-7000-8000-000000000001', 'Tea', 'tea', 'active');
	INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title)
	VALUES ('$tenant', '00000000-0000-7000-8000-000000000101', '00000000-0000-7000-8000-000000000001', 'TEA', 'Tea');
});
my $variant = '00000000-0000-7000-8000-000000000101';
$node->safe_psql('commerce', "SELECT commerce.set_inventory('$variant', '{\"on_hand\": 10}')",
	extra_params => [ '-U', 'inv_partner' ]);

# run_concurrently(N, SQL) — N psql sessions started at once, each running
# SQL in one transaction; returns how many committed and how many failed
# with insufficient_stock.
sub run_concurrently
{
	my ($n, $sql) = @_;
	my (@runs, @outputs);
	for my $i (0 .. $n - 1)
	{
		my ($out, $err) = ('', '');
		# The script is a file, not stdin: IPC::Run feeds a scalar only
		# while the harness is pumped, which would run the sessions one
		# after another.
		my $script = $node->basedir . "/reserve_$i.sql";
		open my $fh, '>', $script or die "cannot write $script: $!";
		print $fh "\\set VERBOSITY verbose\n\\set ON_ERROR_STOP 1\nBEGIN;\n$sql\nSELECT pg_sleep(0.05);\nCOMMIT;\n";
		close $fh;
		push @runs, IPC::Run::start(
			[ 'psql', '-X', '-q', '-d', $node->connstr('commerce'), '-U', 'inv_partner', '-f', $script ],
			'<', \undef, '>', \$outputs[$i]{out}, '2>', \$outputs[$i]{err});
	}
	my ($committed, $insufficient, $other) = (0, 0, 0);
	for my $i (0 .. $n - 1)
	{
		$runs[$i]->finish;
		if ($? == 0) { $committed++ }
		elsif (($outputs[$i]{err} // '') =~ /55000.*insufficient stock/s) { $insufficient++ }
		else { $other++; diag($outputs[$i]{err}) }
	}
	return ($committed, $insufficient, $other);
}

my ($ok, $refused, $other) = run_concurrently(25, "SELECT commerce.reserve_stock('$variant', 1);");
is($ok, 10, 'exactly the 10 units on hand were reserved by 25 concurrent sessions');
is($refused, 15, 'the other 15 failed with insufficient_stock');
is($other, 0, 'no other failure');
is($node->safe_psql('commerce', "SELECT on_hand || '/' || reserved || '/' || available FROM commerce.inventory_levels"),
	'10/10/0', 'on_hand 10, reserved 10, available 0');

# Uneven quantities: 3 units each against 10 free (after releasing all).
$node->safe_psql('commerce', "SELECT commerce.release_stock('$variant', 10)",
	extra_params => [ '-U', 'inv_partner' ]);
($ok, $refused, $other) = run_concurrently(8, "SELECT commerce.reserve_stock('$variant', 3);");
is($ok, 3, 'three reservations of 3 fit into 10 units under concurrency');
is($refused, 5, 'the rest were refused');
is($node->safe_psql('commerce', "SELECT on_hand || '/' || reserved || '/' || available FROM commerce.inventory_levels"),
	'10/9/1', 'reserved 9, available 1');

# Concurrent fulfilments, releases and deliveries keep exact figures.
($ok, $refused, $other) = run_concurrently(3, "SELECT commerce.fulfil_stock('$variant', 3);");
is($ok, 3, 'three concurrent fulfilments committed');
($ok, $refused, $other) = run_concurrently(10, "SELECT commerce.adjust_inventory('$variant', 5, 'delivery');");
is($ok, 10, 'ten concurrent deliveries committed');
is($node->safe_psql('commerce', "SELECT on_hand || '/' || reserved || '/' || available || '/' || version FROM commerce.inventory_levels"),
	'51/0/51/28', 'on_hand 1 + 50, nothing reserved, one version per change');

$node->stop;
done_testing();
