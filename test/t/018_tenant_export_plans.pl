# test/t/018_tenant_export_plans.pl — how bin/pgcommerce-tenant export
# reads each table (docs/tenant-export.md, "How long an export takes"):
# auto_explain logs the plan of every COPY the export's pg_dump runs, on
# bench/export's fixture at 20,000 orders (bench-1: 1 % of the rows,
# interleaved). 1. As the tool runs it, the big tables are read through an
# index on tenant_id (a bitmap or index scan of the tenant's pages), never
# by a sequential scan: forcing sequential scans was measured 1.5-2.1 x
# slower on interleaved rows and 4.8-7.4 x on clustered ones
# (docs/benchmarks.md, "Issue 15, session 10"). 2. With sequential scans
# off (the caller's PGOPTIONS, which the tool passes on), every tenant
# table's COPY uses an index on tenant_id: fails when a tenant table has no
# index leading with tenant_id or a policy's tenant test stops being an
# index condition (a cast, a volatile current_tenant()).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);

my $tool = repo_path('bin/pgcommerce-tenant');
my $node = commerce_node('tenant_export_plans', extra_conf => <<'CONF');
session_preload_libraries = 'auto_explain'
auto_explain.log_min_duration = 0
auto_explain.log_format = text
CONF
my $tmp = PostgreSQL::Test::Utils::tempdir;

# bench/export's fixture, small: 20,000 orders of one line and one event
# over 100 tenants, interleaved on the pages as loaded; bench_export_1 is
# bound to bench-1 (1 % of the rows, on a third of the pages).
command_ok([ 'psql', '-X', '-q', '-d', $node->connstr('commerce'), '-v', 'orders=20000', '-v', 'tenants=100',
			 '-f', repo_path('bench/export/load.sql') ], 'bench/export/load.sql, 20,000 orders');
my @tables = split /\n/, $node->safe_psql('commerce', q{
	SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
	 WHERE p.polname = 'tenant_isolation' AND c.relnamespace = 'commerce'::regnamespace ORDER BY 1});
cmp_ok(scalar @tables, '>=', 20, 'the catalogue lists the tenant tables (' . scalar(@tables) . ')');

# export(PGOPTIONS): the tool's export of bench-1, the caller's PGOPTIONS
# set; returns the plan of each table's COPY, by table name, from
# auto_explain's entries since the export started (only pg_dump runs COPY):
# "LOG:  duration: ... plan:" then the tab-indented plan, "Query Text: COPY
# commerce.t (...) TO stdout;" first (the server reads a table under
# row-level security as COPY (SELECT * FROM ONLY t)).
sub export
{
	my ($pgoptions) = @_;
	my $log_start = -s $node->logfile;
	my ($out, $err) = ('', '');
	{
		local $ENV{PGOPTIONS} = $pgoptions;
		IPC::Run::run([ $tool, 'export', '-d', $node->connstr('commerce') . ' user=bench_export_1',
						'-f', "$tmp/export.tar" ], '>', \$out, '2>', \$err);
	}
	is($?, 0, "export of bench-1, PGOPTIONS='$pgoptions'") or diag($err);
	my %plan;
	for my $entry (split /^(?=\S)/m, slurp_file($node->logfile, $log_start))
	{
		next unless $entry =~ /^\S+ \S+ \S+ \[\d+\] .*?LOG:  duration: .* plan:/;
		next unless $entry =~ /Query Text: COPY (?:\(SELECT .*? FROM (?:ONLY )?)?commerce\.(\w+)/;
		$plan{$1} = $entry;
	}
	return %plan;
}
my $by_tenant_index = qr/Index Cond: \(tenant_id = commerce\.current_tenant\(\)\)/;

# 1. As the tool runs it: the big tables by the tenant's index.
my %plan = export('');
for my $t (qw(orders order_lines outbox_written outbox_published))
{
	like($plan{$t} // '', $by_tenant_index, "commerce.$t: the tenant's rows by an index on tenant_id")
		or diag($plan{$t});
	unlike($plan{$t} // '', qr/Seq Scan/, "commerce.$t: no sequential scan");
}

# 2. Every tenant table can be read that way: with sequential scans off
# (passed through by the tool), an index path wherever one exists.
%plan = export('-c enable_seqscan=off');
for my $t (@tables)
{
	ok(defined $plan{$t}, "the export ran a COPY of commerce.$t") or next;
	like($plan{$t}, $by_tenant_index, "commerce.$t: an index on tenant_id serves the policy")
		or diag($plan{$t});
}

$node->stop;
done_testing();
