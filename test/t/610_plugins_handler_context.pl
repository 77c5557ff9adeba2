# test/t/610_plugins_handler_context.pl — a subscription handler run by the
# dispatcher (bgworker/dispatcher.c) as its run_as role (a commerce_gateway
# member, so trusted with set_context) tries to leave its event's tenant:
# set_config('commerce.tenant_id', ...), SET LOCAL, commerce.set_context,
# then reads, writes and calls a command. The context is pinned for the
# call, as for a hook: it sees and writes only its event's tenant, and
# nothing it sets outlives its call (not even a session-level setting).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('handler_context', extra_conf => "pgcommerce.publisher_poll_interval = '200ms'\n");
my $a = $node->safe_psql('commerce', "SELECT commerce.create_tenant('ctx-a', 'A', 'EUR')");
my $b = $node->safe_psql('commerce', "SELECT commerce.create_tenant('ctx-b', 'B', 'EUR')");

$node->safe_psql('commerce', <<SQL);
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO commerce_gateway;
CREATE TABLE evil.notes (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id));
SELECT commerce.enable_tenancy('evil.notes');
GRANT INSERT, UPDATE, DELETE ON evil.notes TO commerce_gateway;
INSERT INTO evil.notes SELECT '$a', g FROM generate_series(1, 3) g;
INSERT INTO evil.notes SELECT '$b', g FROM generate_series(1, 7) g;
-- Where the handler reports what it saw (no RLS: the test reads it).
CREATE TABLE evil.seen (event_id uuid, step text, tenant uuid, visible bigint, outcome text,
                        PRIMARY KEY (event_id, step));
GRANT SELECT, INSERT ON evil.seen TO commerce_gateway;
CREATE TABLE evil.target (tenant uuid);
INSERT INTO evil.target VALUES ('$b');
GRANT SELECT ON evil.target TO commerce_gateway;

CREATE FUNCTION evil.report(event jsonb, step text, outcome text DEFAULT NULL) RETURNS void
LANGUAGE sql AS \$\$
  INSERT INTO evil.seen VALUES ((event->>'id')::uuid, step, commerce.current_tenant(),
                                (SELECT count(*) FROM evil.notes), outcome)
\$\$;

CREATE FUNCTION evil.switch(event jsonb) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE
  other uuid := (SELECT tenant FROM evil.target);
  outcome text;
BEGIN
  PERFORM evil.report(event, '0 start');
  PERFORM set_config('commerce.tenant_id', other::text, true);
  PERFORM evil.report(event, '1 set_config local');
  SET LOCAL commerce.tenant_id = '$b';
  PERFORM evil.report(event, '2 set local');
  PERFORM set_config('commerce.tenant_id', other::text, false);
  PERFORM set_config('commerce.actor', 'customer', false);
  PERFORM set_config('search_path', 'evil, pg_catalog, public', false);
  PERFORM set_config('evil.mark', 'leaked', false);
  PERFORM evil.report(event, '3 set_config session');
  BEGIN
    PERFORM commerce.set_context(other, 'evil', 'staff');
    outcome := 'switched';
  EXCEPTION WHEN OTHERS THEN
    outcome := SQLSTATE || ' ' || SQLERRM;
  END;
  PERFORM evil.report(event, '4 set_context', outcome);
  BEGIN
    INSERT INTO evil.notes VALUES (other, 100);
    outcome := 'inserted';
  EXCEPTION WHEN OTHERS THEN
    outcome := SQLSTATE;
  END;
  UPDATE evil.notes SET id = id + 1000 WHERE tenant_id = other;
  GET DIAGNOSTICS outcome = ROW_COUNT;
  PERFORM evil.report(event, '5 write other', outcome);
  outcome := commerce.create_customer(jsonb_build_object('email', 'evil-' || (event->>'id') || '\@example.com')) ->> 'id';
  PERFORM evil.report(event, '6 command', (SELECT tenant_id::text FROM commerce.customers WHERE id = outcome::uuid));
END \$\$;
-- Reports the context a later delivery in the same dispatcher starts with.
CREATE FUNCTION evil.probe(event jsonb) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  PERFORM evil.report(event, 'probe', current_setting('commerce.tenant_id', true) || ' ' ||
                                      coalesce(current_setting('commerce.actor', true), '') || ' ' ||
                                      coalesce(nullif(current_setting('evil.mark', true), ''), '-') || ' ' ||
                                      current_setting('search_path'));
END \$\$;

SELECT commerce.subscribe('switch', 'test.switch', 'evil.switch(jsonb)', max_attempts => 1);
SELECT commerce.subscribe('probe', 'test.probe', 'evil.probe(jsonb)', max_attempts => 1);
SQL

sub emit
{
	my ($tenant, $type) = @_;
	return $node->safe_psql('commerce',
		"BEGIN; DO \$\$ BEGIN PERFORM commerce.set_context('$tenant'); END \$\$; "
		  . "SELECT commerce.emit_event('$type', 'thing', commerce.uuid_generate_v7()); COMMIT;");
}

my $ev = emit($a, 'test.switch');
ok($node->poll_query_until('commerce',
		"SELECT status <> 'pending' FROM commerce.deliveries WHERE event_id = '$ev'"), 'the handler ran');
is($node->safe_psql('commerce', "SELECT status || ' ' || coalesce(last_error, '') FROM commerce.deliveries WHERE event_id = '$ev'"),
	'delivered ', 'delivered (the handler caught what was refused)');
my %seen = map { my ($s, $t, $v, $o) = split /\|/; ($s => { tenant => $t, visible => $v, outcome => $o // '' }) }
  split /\n/, $node->safe_psql('commerce', "SELECT step, tenant, visible, outcome FROM evil.seen WHERE event_id = '$ev'");
is_deeply([ sort keys %seen ], [ '0 start', '1 set_config local', '2 set local', '3 set_config session',
		'4 set_context', '5 write other', '6 command' ], 'every step reported');
for my $step (sort keys %seen)
{
	is("$seen{$step}{tenant} $seen{$step}{visible}", "$a 3", "$step: still tenant A, A's 3 rows only");
}
like($seen{'4 set_context'}{outcome}, qr/^42501 .*may not change the tenant context/,
	'commerce.set_context is refused (42501)');
is($seen{'5 write other'}{outcome}, '0', "B's rows cannot be updated");
is($seen{'6 command'}{outcome}, $a, 'a command it calls acts for tenant A');
is($node->safe_psql('commerce', "SELECT count(*) FROM evil.notes WHERE tenant_id = '$b'"), 7, "B's rows untouched");
is($node->safe_psql('commerce', "SELECT count(*) FROM evil.notes WHERE tenant_id = '$b' AND id > 7"), 0,
	'no row written for B');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.customers WHERE tenant_id = '$b'"), 0,
	'no customer created for B');

# A later delivery in the same process starts clean: the session-level
# settings the first handler made did not survive its call.
my $pb = emit($b, 'test.probe');
ok($node->poll_query_until('commerce', "SELECT count(*) = 1 FROM evil.seen WHERE event_id = '$pb'"),
	'the next handler ran');
is($node->safe_psql('commerce', "SELECT tenant || ' ' || visible || ' ' || outcome FROM evil.seen WHERE event_id = '$pb'"),
	"$b 7 $b staff - \"\$user\", public", "the next delivery (B's) runs in B's context, actor staff, no setting of the last handler left");
my $pa = emit($a, 'test.probe');
ok($node->poll_query_until('commerce', "SELECT count(*) = 1 FROM evil.seen WHERE event_id = '$pa'"),
	'and the one after');
is($node->safe_psql('commerce', "SELECT tenant || ' ' || visible FROM evil.seen WHERE event_id = '$pa'"),
	"$a 3", "A's in A's");

# A handler that lets set_context's refusal escape fails its delivery.
$node->safe_psql('commerce', <<'SQL');
CREATE FUNCTION evil.raw_switch(event jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM commerce.set_context((SELECT tenant FROM evil.target));
  INSERT INTO evil.notes VALUES ((SELECT tenant FROM evil.target), 200);
END $$;
SELECT commerce.subscribe('raw_switch', 'test.raw', 'evil.raw_switch(jsonb)', max_attempts => 1);
SQL
my $raw = emit($a, 'test.raw');
ok($node->poll_query_until('commerce', "SELECT status = 'dead' FROM commerce.deliveries WHERE event_id = '$raw'"),
	'a handler whose set_context is refused fails');
like($node->safe_psql('commerce', "SELECT last_error FROM commerce.deliveries WHERE event_id = '$raw'"),
	qr/^42501: .*may not change the tenant context/, 'with the refusal as its error');
is($node->safe_psql('commerce', "SELECT count(*) FROM evil.notes WHERE id = 200"), 0, 'and wrote nothing');

$node->stop;
done_testing();
