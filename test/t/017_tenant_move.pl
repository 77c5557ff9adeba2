# test/t/017_tenant_move.pl — a tenant moved to another database the way
# docs/tenant-export.md says (suspend, export, import, activate, erase at
# the source) goes on working there:
#   - B's staff token works on a real gateway in front of the NEW database:
#     GET of a product gives the same body as before the export, a checkout
#     gets B's next order number;
#   - B's subscription resumes: deliveries pending at the source (its
#     handler failing there) are delivered by the target's dispatcher, those
#     of a platform-wide subscription go to the target's subscription of the
#     same name, and new events are delivered to both;
#   - a consumer's cursor (its last seq) reads on in the new database with
#     events_since: the imported events after it, then the new ones.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use PgCommerce::Test qw(commerce_node repo_path);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $tool = repo_path('bin/pgcommerce-tenant');
my $node = commerce_node('tenant_move',
	extra_conf => "pgcommerce.publisher_poll_interval = '200ms'\n");
my $tmp = PostgreSQL::Test::Utils::tempdir;

sub query { my ($db, $sql) = @_; return $node->safe_psql($db, $sql); }

sub tool
{
	my @args = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $tool, @args ], '>', \$out, '2>', \$err);
	diag($err) if $?;
	return $? == 0;
}

sub settle
{
	my ($db) = @_;
	$node->poll_query_until($db, 'SELECT NOT EXISTS (SELECT 1 FROM commerce.outbox WHERE seq IS NULL)')
	  or die "events were not published in $db";
}

# The handler both databases have: remembers which subscription saw which
# event; fails while public.failing holds a row (the source's state).
my $handlers = q{
	CREATE TABLE public.heard (db text DEFAULT current_database(), subscription text, seq bigint, id uuid);
	CREATE TABLE public.failing (why text);
	GRANT INSERT, SELECT ON public.heard TO commerce_gateway;
	GRANT SELECT ON public.failing TO commerce_gateway;
	CREATE FUNCTION public.remember_b(e jsonb) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
	  IF EXISTS (SELECT 1 FROM public.failing) THEN RAISE EXCEPTION 'handler down'; END IF;
	  INSERT INTO public.heard (subscription, seq, id) VALUES ('b-hook', (e->>'seq')::bigint, (e->>'id')::uuid);
	END $$;
	CREATE FUNCTION public.remember_all(e jsonb) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
	  IF EXISTS (SELECT 1 FROM public.failing) THEN RAISE EXCEPTION 'handler down'; END IF;
	  INSERT INTO public.heard (subscription, seq, id) VALUES ('audit', (e->>'seq')::bigint, (e->>'id')::uuid);
	END $$;
	SELECT commerce.subscribe('audit', 'order.placed', 'public.remember_all(jsonb)'::regprocedure,
	         max_attempts => 100, initial_delay => '200ms', max_delay => '1s');
};

# --- the source: tenants A and B, B with a subscription of its own --------
query('commerce', slurp_file(repo_path('test/fixtures/make_variant.sql')));
query('commerce', $handlers);
query('commerce', q{
	CREATE ROLE part_b LOGIN;
	SELECT commerce.create_tenant('move-a', 'A', 'EUR');
	SELECT commerce.bind_role('part_b', commerce.create_tenant('move-b', 'B', 'EUR'));});
my $tb = query('commerce', "SELECT id FROM commerce.tenants WHERE slug = 'move-b'");
my $variant = query('commerce', "SELECT public.make_variant('$tb', 'B-1', 1250, 1000)");
my $product = query('commerce', "SELECT product_id FROM commerce.variants WHERE id = '$variant'");
query('commerce', qq{SELECT commerce.subscribe('b-hook', 'order.placed', 'public.remember_b(jsonb)'::regprocedure,
	max_attempts => 100, initial_delay => '200ms', max_delay => '1s', tenant => '$tb')});

my $checkout = sub {
	my ($key) = @_;
	return "BEGIN; SELECT commerce.set_context('$tb'); SELECT commerce.checkout(jsonb_build_object('currency', 'EUR',"
	  . " 'lines', jsonb_build_array(jsonb_build_object('variant_id', '$variant', 'quantity', 1))), '$key')->>'number'; COMMIT;";
};
query('commerce', $checkout->("b-$_")) for 1 .. 3;
settle('commerce');
ok($node->poll_query_until('commerce', q{SELECT count(*) = 6 FROM public.heard}),
	'at the source, both subscriptions got B\'s 3 orders');
my $cursor = query('commerce', "SELECT max(seq) FROM commerce.outbox WHERE tenant_id = '$tb'");

# Two more orders whose deliveries stay pending: the handler is down.
query('commerce', 'INSERT INTO public.failing VALUES (\'down\')');
query('commerce', $checkout->("b-$_")) for 4 .. 5;
settle('commerce');
ok($node->poll_query_until('commerce', qq{SELECT count(*) = 4 FROM commerce.deliveries
	WHERE tenant_id = '$tb' AND status = 'pending' AND attempts > 0}),
	'at the source, the deliveries of B\'s 2 newer orders are pending (failed attempts)');

# B's staff token on a gateway in front of the source.
my $staff = make_jwt({ tenant_id => $tb, sub => 'staff-1', role => 'staff', exp => time + 3600 });
my $gw = start_gateway($node, db => 'commerce');
my $r;
for (1 .. 100)
{
	$r = $gw->get("/v1/products/$product", token => $staff);
	last if $r->{status} != 404;
	sleep 0.1;
}
is($r->{status}, 200, 'source gateway: GET of B\'s product') or diag($r->{content});
my $product_body = $r->{content};
$gw->stop;

# --- the move: suspend, export, import, activate -----------------------------
query('commerce', "SELECT commerce.suspend_tenant('$tb')");
settle('commerce');
my $pending_seqs = query('commerce', "SELECT string_agg(seq::text, ',' ORDER BY seq) FROM commerce.outbox
	WHERE tenant_id = '$tb' AND type = 'order.placed' AND seq > $cursor");
ok(tool('export', '-d', $node->connstr('commerce') . ' user=part_b', '-f', "$tmp/b.tar"), 'export of B');

query('postgres', 'CREATE DATABASE target');
query('target', 'CREATE EXTENSION pgcommerce CASCADE');
query('target', $handlers);
my $other = query('target', "SELECT commerce.create_tenant('move-d', 'D', 'EUR')");
ok(tool('import', '-d', $node->connstr('target'), '-f', "$tmp/b.tar"), 'import of B into the target');
is(query('target', "SELECT status FROM commerce.tenants WHERE id = '$tb'"), 'suspended', 'B arrives suspended');
is(query('target', "SELECT s.tenant IS NULL FROM commerce.deliveries d JOIN commerce.subscriptions s ON s.id = d.subscription_id
	WHERE d.tenant_id = '$tb' AND s.name = 'audit' GROUP BY 1"), 't',
	'deliveries of the platform-wide subscription now belong to the target\'s subscription of that name');
query('target', "SELECT commerce.activate_tenant('$tb')");
ok(tool('erase', '-d', $node->connstr('commerce'), '--tenant', 'move-b'), 'erase of B at the source');

# --- B in its new home ----------------------------------------------------------
ok($node->poll_query_until('target', qq{SELECT count(*) = 4 FROM commerce.deliveries
	WHERE tenant_id = '$tb' AND status = 'delivered' AND attempts > 1}),
	'the deliveries pending at the source are delivered in the target');
is(query('target', q{SELECT string_agg(subscription || ' ' || seq, ',' ORDER BY subscription, seq) FROM public.heard}),
	join(',', map { my $s = $_; map { "$s $_" } split /,/, $pending_seqs } qw(audit b-hook)),
	'the target\'s handlers got exactly the 2 events left pending, once per subscription');

$gw = start_gateway($node, db => 'target');
for (1 .. 100)
{
	$r = $gw->get("/v1/products/$product", token => $staff);
	last if $r->{status} != 404;
	sleep 0.1;
}
is($r->{status}, 200, 'target gateway: B\'s staff token reads B\'s product') or diag($r->{content});
is($r->{content}, $product_body, 'with the same body as before the export');
$r = $gw->post('/v1/checkout', token => $staff, headers => { 'Idempotency-Key' => 'b-after-move' },
	body => { currency => 'EUR', lines => [ { variant_id => $variant, quantity => 1 } ] });
is($r->{status}, 201, 'target gateway: B\'s checkout') or diag($r->{content});
is($r->{json}{number}, 6, 'gets B\'s next order number');
my $staff_d = make_jwt({ tenant_id => $other, sub => 'staff-1', role => 'staff', exp => time + 3600 });
is($gw->get("/v1/products/$product", token => $staff_d)->{status}, 404, 'the target\'s other tenant does not see B\'s product');
$gw->stop;

settle('target');
my $new_seq = query('target', "SELECT max(seq) FROM commerce.outbox WHERE tenant_id = '$tb' AND type = 'order.placed'");
ok($node->poll_query_until('target', "SELECT count(*) = 2 FROM public.heard WHERE seq = $new_seq"),
	'B\'s new event is delivered to its own and the platform-wide subscription');
is(query('target', "SELECT string_agg(subscription, ',' ORDER BY subscription) FROM public.heard
	WHERE id IN (SELECT id FROM commerce.outbox WHERE tenant_id = '$tb' AND type = 'order.placed') GROUP BY seq HAVING seq = $new_seq"),
	'audit,b-hook', '... once each');

# The consumer's cursor: its last seq at the source reads on in the target.
my $feed = $node->safe_psql('target',
	"SELECT string_agg((e->>'seq') || ' ' || (e->>'type'), ',') FROM commerce.events_since($cursor) e",
	extra_params => [ '-U', 'part_b' ]);
my @seqs = map { (split / /)[0] } split /,/, $feed;
is(scalar(grep { $_ > $cursor } @seqs), scalar(@seqs), 'events_since(cursor) in the target: only events after the cursor');
is(scalar(grep { / order\.placed$/ } split /,/, $feed), 3, '... B\'s 2 orders placed at the source after the cursor, and the new one');
is(join(',', @seqs), join(',', sort { $a <=> $b } @seqs), '... in seq order');
is($seqs[-1], $new_seq, '... ending with the new event');

$node->stop;
done_testing();
