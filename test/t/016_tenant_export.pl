# test/t/016_tenant_export.pl — the tenant lifecycle with pg_dump
# (docs/tenant-export.md): every extension table is registered for pg_dump
# (from the catalogue); a role bound to tenant B runs `pg_dump
# --enable-row-security --data-only -n commerce` and gets B's rows only;
# bin/pgcommerce-tenant exports B, imports it into a fresh database and into
# one holding other tenants (identical rows, nothing of A or C, the others
# untouched), refuses a second import with nothing written, refuses what it
# must; after the import B's order numbers, idempotency keys and event seq
# go on; erase removes every row of B and leaves A and C byte-identical.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);

my $tool = repo_path('bin/pgcommerce-tenant');
my $node = commerce_node('tenant_export');
my $tmp = PostgreSQL::Test::Utils::tempdir;

sub query { my ($db, $sql) = @_; return $node->safe_psql($db, $sql); }

# --- 1. every extension table is registered for pg_dump ------------------
# Reference tables whose rows the install scripts write (ours and plugins'),
# re-created by CREATE EXTENSION: not data (docs/tenant-export.md).
is(query('commerce', q{
	SELECT coalesce(string_agg(c.oid::regclass::text, ', ' ORDER BY 1), '')
	  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
	  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgcommerce'
	 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relkind IN ('r', 'p', 'S')
	   AND NOT c.oid = ANY (e.extconfig)
	   AND c.oid NOT IN ('commerce.currencies'::regclass, 'commerce.error_codes'::regclass)}),
	'', 'every extension table and sequence is registered with pg_extension_config_dump');

# --- fixtures: three tenants of different sizes ---------------------------
query('commerce', slurp_file(repo_path('test/fixtures/make_variant.sql')));
query('commerce', <<'SQL');
-- n checkouts of tenant t through the command, keys '<slug>-<i>'.
CREATE FUNCTION public.shop(t uuid, slug text, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v uuid := public.make_variant(t, upper(slug) || '-1', 1250, 100000);
BEGIN
  PERFORM commerce.set_context(t);
  FOR i IN 1..n LOOP
    PERFORM commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines',
              jsonb_build_array(jsonb_build_object('variant_id', v, 'quantity', 1 + i % 3))),
            slug || '-' || i);
  END LOOP;
  PERFORM commerce.create_customer(jsonb_build_object('email', slug || '@example.com'), slug || '-customer');
END $$;
CREATE ROLE part_a LOGIN;
CREATE ROLE part_b LOGIN;
CREATE ROLE part_c LOGIN;
CREATE ROLE stranger LOGIN;
CREATE ROLE operator LOGIN IN ROLE commerce_admin;
SELECT commerce.bind_role('part_a', commerce.create_tenant('shop-a', 'A', 'EUR'));
SELECT commerce.bind_role('part_b', commerce.create_tenant('shop-b', 'B', 'EUR'));
SELECT commerce.bind_role('part_c', commerce.create_tenant('shop-c', 'C', 'EUR'));
SQL
my %id = map { $_ => query('commerce', "SELECT id FROM commerce.tenants WHERE slug = 'shop-$_'") } qw(a b c);
query('commerce', "SELECT public.shop('$id{a}', 'a', 3)");
query('commerce', "SELECT public.shop('$id{b}', 'b', 12)");
query('commerce', "SELECT public.shop('$id{c}', 'c', 40)");
$node->poll_query_until('commerce', 'SELECT NOT EXISTS (SELECT 1 FROM commerce.outbox WHERE seq IS NULL)')
	or die 'events were not published';

# Per table: "table count md5" of one tenant's rows, enumerated from the
# catalogue (every tenant table, plus its tenant row, bindings, subscriptions).
sub tenant_rows
{
	my ($db, $tenant) = @_;
	return query($db, qq{
		SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
		  SELECT c.relname || ' ' || (xpath('/row/n/text()', query_to_xml(format(
		           'SELECT count(*) || '' '' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), ''-'') AS n FROM %s t WHERE tenant_id = %L',
		           c.oid::regclass, '$tenant'), false, true, '')))[1]::text AS x
		    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
		   WHERE p.polname = 'tenant_isolation'
		  UNION ALL SELECT 'tenants ' || count(*) || ' ' || coalesce(md5(string_agg(t::text, '|')), '-') FROM commerce.tenants t WHERE id = '$tenant'
		  UNION ALL SELECT 'tenant_roles ' || count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM commerce.tenant_roles t WHERE tenant_id = '$tenant'
		  UNION ALL SELECT 'subscriptions ' || count(*) FROM commerce.subscriptions WHERE tenant = '$tenant') s});
}
# Every row of every extension table, for "nothing changed" checks.
sub everything
{
	my ($db) = @_;
	return query($db, q{
		SELECT string_agg(x, E'\n' ORDER BY x) FROM (
		  SELECT c.relname || ' ' || (xpath('/row/n/text()', query_to_xml(format(
		           'SELECT count(*) || '' '' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), ''-'') AS n FROM %s t',
		           c.oid::regclass), false, true, '')))[1]::text AS x
		    FROM pg_class c WHERE c.relnamespace = 'commerce'::regnamespace AND c.relkind = 'r') s});
}

my $source_b = tenant_rows('commerce', $id{b});
like($source_b, qr/^orders 12 /m, 'B has 12 orders');
my $rows_a = tenant_rows('commerce', $id{a});
my $rows_c = tenant_rows('commerce', $id{c});

# --- 2. pg_dump as B's role, no table list ---------------------------------
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pg_dump', '--enable-row-security', '--data-only', '-n', 'commerce',
					'-d', $node->connstr('commerce') . ' user=part_b' ], '>', \$out, '2>', \$err);
	is($?, 0, 'pg_dump --enable-row-security --data-only -n commerce runs as a role bound to B')
		or diag($err);
	like($out, qr/$id{b}/, 'the dump holds B\'s rows');
	unlike($out, qr/$id{a}|$id{c}/, 'and no row of A or C');
	unlike($out, qr/^COPY commerce\.(routes|payment_providers) .*\n(?!\\\.)/m, 'nor any platform row');
}

# --- 3. export B -------------------------------------------------------------
my $export = "$tmp/b.tar";
my ($ok, $out, $err);
sub tool
{
	my @args = @_;
	($out, $err) = ('', '');
	IPC::Run::run([ $tool, @args ], '>', \$out, '2>', \$err);
	return $? == 0;
}
ok(tool('export', '-d', $node->connstr('commerce') . ' user=part_b', '-f', $export), 'export of B')
	or diag($err);
like($err, qr/^export: table commerce\.orders$/m, 'a progress line per table');
ok(!tool('export', '-d', $node->connstr('commerce') . ' user=stranger', '-f', "$tmp/x.tar"),
	'export as an unbound role fails');
like($err, qr/bound to no tenant/, '... saying so');
ok(!tool('export', '-d', $node->connstr('commerce') . ' user=part_b', '--tenant', 'shop-a', '-f', "$tmp/x.tar"),
	'export of a tenant the role is not bound to fails');
like($err, qr/unknown tenant shop-a/, '... saying so');

# --- 4. import into a fresh database -----------------------------------------
query('postgres', 'CREATE DATABASE fresh');
query('fresh', 'CREATE EXTENSION pgcommerce CASCADE');
ok(tool('import', '-d', $node->connstr('fresh'), '-f', $export), 'import of B into a fresh database')
	or diag($err);
like($err, qr/^import: table commerce\.orders$/m, 'a progress line per table');
is(tenant_rows('fresh', $id{b}), $source_b, 'per table, B\'s row counts and checksums are identical');
is(query('fresh', q{SELECT count(*) FROM commerce.tenants}), '1', 'no other tenant came along');
is(tenant_rows('fresh', $id{a}), tenant_rows('fresh', '00000000-0000-0000-0000-000000000000'), 'no row of A');
is(tenant_rows('fresh', $id{c}), tenant_rows('fresh', '00000000-0000-0000-0000-000000000000'), 'no row of C');

# Twice: refused, nothing written.
my $before = everything('fresh');
ok(!tool('import', '-d', $node->connstr('fresh'), '-f', $export), 'a second import fails');
like($err, qr/already exists/, '... because the tenant exists');
is(everything('fresh'), $before, '... and nothing was written');

# --- 5. B goes on in its new home ---------------------------------------------
my $q = "BEGIN; SELECT commerce.set_context('$id{b}') IS NULL;";
my $key = qq{jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(jsonb_build_object('variant_id',
	(SELECT variant_id FROM commerce.inventory_levels WHERE tenant_id = '$id{b}'), 'quantity', 1 + 5 % 3)))};
is(query('fresh', "$q SELECT commerce.checkout($key, 'b-5')->>'number'; COMMIT;"),
	query('commerce', "$q SELECT commerce.checkout($key, 'b-5')->>'number'; COMMIT;"),
	'an old idempotency key replays the same order');
my $last_seq = query('fresh', "SELECT max(seq) FROM commerce.outbox WHERE tenant_id = '$id{b}'");
is(query('fresh', "$q SELECT commerce.checkout(jsonb_set($key, '{lines,0,quantity}', '1'), 'b-new')->>'number'; COMMIT;"),
	"f\n13", 'the next order number follows B\'s last one');
$node->poll_query_until('fresh', 'SELECT NOT EXISTS (SELECT 1 FROM commerce.outbox WHERE seq IS NULL)')
	or die 'events were not published';
cmp_ok(query('fresh', "SELECT min(seq) FROM commerce.outbox WHERE tenant_id = '$id{b}' AND seq IS NOT NULL"
	. " AND id NOT IN (SELECT id FROM commerce.outbox WHERE seq <= $last_seq)"), '>', $last_seq,
	'new events of B are published above its imported seq values');
is(query('fresh', "SELECT count(*) FROM commerce.orders WHERE tenant_id = '$id{b}'"), '13', 'B has its 13 orders');
is($node->safe_psql('fresh', 'SELECT count(*) FROM commerce.orders', extra_params => [ '-U', 'part_b' ]),
	'13', 'B\'s role reads them through its imported binding');

# --- 6. import into a database holding other tenants --------------------------
query('postgres', 'CREATE DATABASE busy');
query('busy', 'CREATE EXTENSION pgcommerce CASCADE');
query('busy', slurp_file(repo_path('test/fixtures/make_variant.sql')));
query('busy', q{
	SELECT public.make_variant(commerce.create_tenant('shop-d', 'D', 'EUR'), 'D-1', 100, 5);
	SELECT public.make_variant(commerce.create_tenant('shop-e', 'E', 'EUR'), 'E-1', 100, 5);});
my $d_id = query('busy', "SELECT id FROM commerce.tenants WHERE slug = 'shop-d'");
my $e_id = query('busy', "SELECT id FROM commerce.tenants WHERE slug = 'shop-e'");
my ($d_before, $e_before) = (tenant_rows('busy', $d_id), tenant_rows('busy', $e_id));
ok(tool('import', '-d', $node->connstr('busy'), '-f', $export), 'import of B into a database holding D and E')
	or diag($err);
is(tenant_rows('busy', $id{b}), $source_b, 'B arrives identical');
is(tenant_rows('busy', $d_id), $d_before, 'D is untouched');
is(tenant_rows('busy', $e_id), $e_before, 'E is untouched');
is(query('busy', "SELECT count(*) FROM commerce.tenants"), '3', 'three tenants');

# --- 7. refusals ---------------------------------------------------------------
query('postgres', 'CREATE DATABASE bare');
ok(!tool('import', '-d', $node->connstr('bare'), '-f', $export), 'import into a database without the extension fails');
like($err, qr/has no pgcommerce extension/, '... saying so');
{
	my $dir = "$tmp/other-version";
	mkdir $dir;
	system('tar', '-C', $dir, '-xf', $export) == 0 or die;
	system('sed', '-i', 's/^extension_version: .*/extension_version: 9.9.9/', "$dir/meta") == 0 or die;
	system('tar', '-C', $dir, '-cf', "$tmp/other-version.tar", 'meta', 'data.dump') == 0 or die;
}
query('postgres', 'CREATE DATABASE fresh2');
query('fresh2', 'CREATE EXTENSION pgcommerce CASCADE');
ok(!tool('import', '-d', $node->connstr('fresh2'), '-f', "$tmp/other-version.tar"),
	'import of an export made at another extension version fails');
like($err, qr/version 9\.9\.9/, '... naming the versions');
command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('commerce'), '-f', "$tmp/full.dump" ], 'a full pg_dump');
ok(!tool('import', '-d', $node->connstr('fresh2'), '-f', "$tmp/full.dump"), 'importing a full dump fails');
like($err, qr/is not a tenant export/, '... saying it is not a tenant export');
is(query('fresh2', 'SELECT count(*) FROM commerce.tenants'), '0', 'nothing was written by the refused imports');

# --- 8. erase ----------------------------------------------------------------------
ok(!tool('erase', '-d', $node->connstr('commerce') . ' user=operator', '--tenant', 'shop-x'),
	'erasing an unknown tenant fails');
like($err, qr/unknown tenant shop-x/, '... saying so');
ok(!tool('erase', '-d', $node->connstr('commerce') . ' user=operator', '--tenant', 'shop-b'),
	'erasing an active tenant fails');
like($err, qr/is active/, '... asking for a suspension first');
is($node->psql('commerce', "SELECT commerce.erase_tenant('$id{b}')", extra_params => [ '-U', 'part_a' ]),
	3, 'a partner may not erase');
query('commerce', "SELECT commerce.suspend_tenant('$id{b}')");
# A partner who may create tables makes one look tenant-safe, with a trigger
# that would run with the eraser's (superuser) rights: erase refuses.
query('commerce', q{CREATE SCHEMA trap; GRANT CREATE, USAGE ON SCHEMA trap TO part_a});
$node->psql('commerce', q{
	CREATE TABLE trap.t (tenant_id uuid NOT NULL, id int NOT NULL, PRIMARY KEY (tenant_id, id));
	ALTER TABLE trap.t ENABLE ROW LEVEL SECURITY;
	CREATE POLICY tenant_isolation ON trap.t USING (true);
	CREATE FUNCTION trap.escalate() RETURNS trigger LANGUAGE plpgsql AS
	  $$ BEGIN ALTER ROLE part_a SUPERUSER; RETURN OLD; END $$;
	CREATE TRIGGER escalate BEFORE DELETE ON trap.t FOR EACH ROW EXECUTE FUNCTION trap.escalate();},
	extra_params => [ '-U', 'part_a' ]);
query('commerce', "INSERT INTO trap.t VALUES ('$id{b}', 1)");
ok(!tool('erase', '-d', $node->connstr('commerce') . ' user=operator', '--tenant', 'shop-b'),
	'erase refuses while a tenant table is not an operator\'s');
like($err, qr/not owned by an operator: trap\.t/, '... naming it');
is(query('commerce', "SELECT rolsuper FROM pg_roles WHERE rolname = 'part_a'"), 'f',
	'and the partner\'s trigger never ran as a superuser');
query('commerce', 'DROP SCHEMA trap CASCADE');
ok(tool('erase', '-d', $node->connstr('commerce') . ' user=operator', '--tenant', 'shop-b'), 'erase of B')
	or diag($err);
like($err, qr/^erase: table commerce\.orders: 12 rows$/m, 'a progress line per table');
is(query('commerce', qq{
	SELECT coalesce(string_agg(c.oid::regclass::text, ', '), '') FROM pg_class c
	 WHERE c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id')
	   AND (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s WHERE tenant_id = %L',
	        c.oid::regclass, '$id{b}'), false, true, '')))[1]::text <> '0'}),
	'', 'no table with a tenant_id column (from the catalogue) holds a row of B');
is(query('commerce', "SELECT (SELECT count(*) FROM commerce.tenants WHERE id = '$id{b}')
	+ (SELECT count(*) FROM commerce.tenant_roles WHERE tenant_id = '$id{b}')
	+ (SELECT count(*) FROM commerce.subscriptions WHERE tenant = '$id{b}')"), '0',
	'nor its tenant row, bindings or subscriptions');
is(tenant_rows('commerce', $id{a}), $rows_a, 'A is byte-identical');
is(tenant_rows('commerce', $id{c}), $rows_c, 'C is byte-identical');

$node->stop;
done_testing();
