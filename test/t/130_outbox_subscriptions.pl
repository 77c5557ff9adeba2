# test/t/130_outbox_subscriptions.pl — async handlers: each matching
# handler is called with the event inside the event's tenant context, as a
# non-superuser so row-level security shows it only that tenant; a failing
# handler is retried with growing delays and parked as dead, visible in
# commerce.dead_deliveries for its tenant only; retrying works; a slow
# handler hits pgcommerce.handler_timeout; a failing handler does not hold
# up other deliveries; subscribe() refuses unsafe registrations.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('subscriptions',
	extra_conf => "pgcommerce.publisher_poll_interval = '200ms'\npgcommerce.handler_timeout = '1s'\n");
my $a = $node->safe_psql('commerce', "SELECT commerce.create_tenant('ten-a', 'A', 'EUR')");
my $b = $node->safe_psql('commerce', "SELECT commerce.create_tenant('ten-b', 'B', 'EUR')");

$node->safe_psql('commerce', <<SQL);
CREATE SCHEMA plug;
GRANT USAGE ON SCHEMA plug TO commerce_gateway;
CREATE TABLE plug.notes (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id));
SELECT commerce.enable_tenancy('plug.notes');
INSERT INTO plug.notes SELECT '$a', g FROM generate_series(1, 3) g;
INSERT INTO plug.notes SELECT '$b', g FROM generate_series(1, 7) g;
CREATE TABLE plug.handled (tenant_id uuid NOT NULL, event_id uuid NOT NULL, seen_tenant uuid,
                           visible_notes bigint, run_as text, PRIMARY KEY (tenant_id, event_id));
SELECT commerce.enable_tenancy('plug.handled');
-- enable_tenancy grants callers SELECT only; this plugin lets its handlers
-- (run as commerce_gateway) write its own table, under its tenant policy.
GRANT INSERT ON plug.handled TO commerce_gateway;
CREATE TABLE plug.switch (on_ boolean);
INSERT INTO plug.switch VALUES (false);
GRANT SELECT ON plug.switch TO commerce_gateway;

CREATE FUNCTION plug.record(event jsonb) RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO plug.handled VALUES ((event->>'tenant_id')::uuid, (event->>'id')::uuid,
    commerce.current_tenant(), (SELECT count(*) FROM plug.notes), current_user)
\$\$;
CREATE FUNCTION plug.always_fails(event jsonb) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN RAISE EXCEPTION 'boom for %', event->>'type'; END \$\$;
CREATE FUNCTION plug.until_switched(event jsonb) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  IF NOT (SELECT on_ FROM plug.switch) THEN RAISE EXCEPTION 'not yet'; END IF;
  PERFORM plug.record(event);
END \$\$;
CREATE FUNCTION plug.slow(event jsonb) RETURNS void LANGUAGE sql AS \$\$ SELECT pg_sleep(5) \$\$;
CREATE FUNCTION plug.wrong(event text) RETURNS void LANGUAGE sql AS \$\$ SELECT \$\$;

SELECT commerce.subscribe('record_all', 'test.*', 'plug.record(jsonb)');
SELECT commerce.subscribe('always_fails', 'test.fail', 'plug.always_fails(jsonb)',
                          max_attempts => 4, initial_delay => '300 ms', max_delay => '10 s');
SELECT commerce.subscribe('until_switched', 'flaky.event', 'plug.until_switched(jsonb)',
                          max_attempts => 2, initial_delay => '100 ms');
SELECT commerce.subscribe('slow', 'slow.event', 'plug.slow(jsonb)', max_attempts => 1);
SELECT commerce.subscribe('only_b', 'only.event', 'plug.record(jsonb)', tenant => '$b');
SQL

sub emit
{
	my ($tenant, $type) = @_;
	return $node->safe_psql('commerce',
		"BEGIN; DO \$\$ BEGIN PERFORM commerce.set_context('$tenant'); END \$\$; "
		  . "SELECT commerce.emit_event('$type', 'thing', commerce.uuid_generate_v7()); COMMIT;");
}

sub as_tenant
{
	my ($tenant, $sql) = @_;
	return $node->safe_psql('commerce',
		"BEGIN; SET LOCAL ROLE commerce_gateway; DO \$\$ BEGIN PERFORM commerce.set_context('$tenant'); END \$\$; $sql; COMMIT;");
}

# Handlers see their event's tenant only.
my $ea = emit($a, 'test.one');
my $eb = emit($b, 'test.one');
ok($node->poll_query_until('commerce', 'SELECT count(*) = 2 FROM plug.handled'),
	'the handler ran for both events');
is($node->safe_psql('commerce', "SELECT seen_tenant || ' ' || visible_notes || ' ' || run_as FROM plug.handled WHERE event_id = '$ea'"),
	"$a 3 commerce_gateway", "tenant A's event: current_tenant() is A, RLS shows A's 3 notes, run as commerce_gateway");
is($node->safe_psql('commerce', "SELECT seen_tenant || ' ' || visible_notes FROM plug.handled WHERE event_id = '$eb'"),
	"$b 7", "tenant B's event: current_tenant() is B and RLS shows B's 7 notes");
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.deliveries WHERE status = 'delivered' AND attempts = 1"),
	'2', 'both deliveries recorded as delivered after one attempt');

# A tenant-limited subscription.
emit($a, 'only.event');
my $eob = emit($b, 'only.event');
ok($node->poll_query_until('commerce', "SELECT count(*) = 1 FROM plug.handled WHERE event_id = '$eob'"),
	'a subscription limited to tenant B gets B\'s event');
is($node->safe_psql('commerce',
		"SELECT count(*) FROM commerce.deliveries d JOIN commerce.subscriptions s ON s.id = d.subscription_id WHERE s.name = 'only_b'"),
	'1', 'and never A\'s');

# Retries with growing delays, then dead.
my $fail = emit($a, 'test.fail');
my %attempt_at;
my $deadline = time + 30;
while (time < $deadline)
{
	my ($n, $at, $status) = split /\|/, $node->safe_psql('commerce',
		"SELECT attempts, extract(epoch from last_attempt_at), status FROM commerce.deliveries d "
		  . "WHERE d.event_id = '$fail' AND d.subscription_name = 'always_fails'");
	$attempt_at{$n} = $at if defined $n && $n > 0;
	last if defined $status && $status eq 'dead';
	# Meanwhile other deliveries go through at once.
	if (defined $n && $n == 2 && !defined $attempt_at{other})
	{
		my $t0 = time;
		my $other = emit($b, 'test.meanwhile');
		$node->poll_query_until('commerce', "SELECT count(*) = 1 FROM plug.handled WHERE event_id = '$other'");
		$attempt_at{other} = time - $t0;
	}
	usleep(20_000);
}
is(join(',', sort grep { /^\d+$/ } keys %attempt_at), '1,2,3,4', 'four attempts observed');
my @gaps = map { $attempt_at{ $_ + 1 } - $attempt_at{$_} } (1 .. 3);
diag(sprintf('gaps between attempts: %.3f %.3f %.3f s', @gaps));
cmp_ok($gaps[0], '>=', 0.29, 'first retry after initial_delay (300 ms)');
cmp_ok($gaps[1], '>', $gaps[0] * 1.5, 'second delay grows');
cmp_ok($gaps[2], '>', $gaps[1] * 1.5, 'third delay grows');
is($node->safe_psql('commerce', "SELECT status FROM commerce.deliveries WHERE event_id = '$fail' AND subscription_name = 'always_fails'"),
	'dead', 'after max_attempts the delivery is dead');
ok(defined $attempt_at{other} && $attempt_at{other} < 3,
	sprintf('a failing handler does not hold up other deliveries (%.2f s)', $attempt_at{other} // -1));

# Dead deliveries: listed for their tenant only, retryable.
like(as_tenant($a, 'SELECT subscription_name, last_error FROM commerce.dead_deliveries'),
	qr/always_fails\|P0001: boom for test.fail/, 'tenant A lists its dead delivery with the error');
is(as_tenant($b, 'SELECT count(*) FROM commerce.dead_deliveries'), '0', 'tenant B sees no dead delivery of A');

my $flaky = emit($a, 'flaky.event');
ok($node->poll_query_until('commerce',
		"SELECT status = 'dead' FROM commerce.deliveries WHERE event_id = '$flaky'"),
	'a handler that keeps failing ends dead');
$node->safe_psql('commerce', 'UPDATE plug.switch SET on_ = true');
my $id = $node->safe_psql('commerce', "SELECT id FROM commerce.deliveries WHERE event_id = '$flaky'");
is(as_tenant($b, "SELECT commerce.retry_delivery('$id')"), 'f', 'tenant B cannot retry A\'s delivery');
is(as_tenant($a, "SELECT commerce.retry_delivery('$id')"), 't', 'tenant A retries its dead delivery');
ok($node->poll_query_until('commerce',
		"SELECT status = 'delivered' FROM commerce.deliveries WHERE event_id = '$flaky'"),
	'the retried delivery is delivered');
is(as_tenant($a, "SELECT commerce.retry_dead_deliveries('always_fails')"), '1', 'retry_dead_deliveries by subscription');

# A slow handler hits the timeout.
my $slow = emit($a, 'slow.event');
ok($node->poll_query_until('commerce',
		"SELECT status = 'dead' AND last_error LIKE '%statement timeout%' FROM commerce.deliveries WHERE event_id = '$slow'"),
	'a slow handler is cancelled by pgcommerce.handler_timeout');

# Unsafe registrations are refused.
my ($ret, $out, $err) = $node->psql('commerce',
	"SELECT commerce.subscribe('x', '*', 'plug.record(jsonb)', run_as => 'postgres')");
like($err, qr/superuser or has BYPASSRLS/, 'a superuser run_as is refused');
($ret, $out, $err) = $node->psql('commerce', "SELECT commerce.subscribe('x', '*', 'plug.wrong(text)')");
like($err, qr/exactly one jsonb argument/, 'a handler with the wrong signature is refused');
($ret, $out, $err) = $node->psql('commerce', "SELECT commerce.subscribe('x', 'Bad Type', 'plug.record(jsonb)')");
like($err, qr/invalid subscription/, 'a malformed event_type is refused');
($ret, $out, $err) = $node->psql('commerce',
	"SET ROLE commerce_gateway; SELECT commerce.subscribe('x', '*', 'plug.record(jsonb)')");
like($err, qr/permission denied/, 'only commerce_admin may subscribe');

is($node->safe_psql('commerce', "SELECT commerce.unsubscribe('record_all')"), 't', 'unsubscribe');
my $after = emit($a, 'test.after');
emit($a, 'flush.event');
$node->poll_query_until('commerce', "SELECT count(*) = 0 FROM commerce.outbox WHERE seq IS NULL");
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.deliveries WHERE event_id = '$after'"),
	'0', 'no delivery after unsubscribe');

$node->stop;
done_testing();
