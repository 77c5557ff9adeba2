# test/t/170_retention_purge.pl — the publisher's retention purges
# (bgworker/retention.c) for idempotency keys: keys older than
# pgcommerce.idempotency_retention are deleted by the worker, in chunks of
# 10,000 until none is left, younger keys stay and still replay, and a
# request whose key was purged runs the command again. (The purge of
# published events is in 100_outbox_publish.pl.)
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('retention');
my $tenant = $node->safe_psql('commerce', "SELECT commerce.create_tenant('rp', 'RP', 'EUR')");

sub as_tenant
{
	my ($sql) = @_;
	return $node->psql('commerce', "\\set VERBOSITY verbose\nBEGIN; SELECT commerce.set_context('$tenant') \\g /dev/null\n$sql; COMMIT;");
}

my ($ret, $old, $err) = as_tenant(
	q{SELECT (commerce.create_customer_group('{"name": "Old"}', 'key-old'))->>'id'});
is($ret, 0, 'a command with a key that will expire') or diag $err;
my ($ret2, $young) = as_tenant(
	q{SELECT (commerce.create_customer_group('{"name": "Young"}', 'key-young'))->>'id'});
is($ret2, 0, 'a command with a key that stays');

# 25,000 more expired keys (two and a half chunks), written directly, in
# every kind of scope: customers, gateway staff, a partner's role ('').
$node->safe_psql('commerce', <<"SQL");
INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response, created_at)
SELECT '$tenant', CASE WHEN g % 3 = 0 THEN 'customer' ELSE 'staff' END,
       CASE g % 3 WHEN 0 THEN gen_random_uuid()::text WHEN 1 THEN 'staff-' || g % 7 ELSE '' END,
       'bulk-' || g, 'test', '\\x00', '{}', now() - interval '3 days'
  FROM generate_series(1, 25000) g;
UPDATE commerce.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'key-old';
SQL
is($node->safe_psql('commerce',
		"SELECT count(*) FROM commerce.idempotency_keys WHERE created_at < now() - interval '1 day'"),
	'25001', '25,001 keys are past the 24 h retention');

# A reload makes the publisher purge at once (otherwise about once a minute).
$node->safe_psql('commerce', 'SELECT pg_reload_conf()');
ok($node->poll_query_until('commerce',
		"SELECT count(*) = 0 FROM commerce.idempotency_keys WHERE created_at < now() - interval '1 day'"),
	'the worker purges every expired key, chunk after chunk');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.idempotency_keys WHERE key = 'key-young'"),
	'1', 'the young key is kept');

my ($ret3, $replay) = as_tenant(
	q{SELECT (commerce.create_customer_group('{"name": "Young"}', 'key-young'))->>'id'});
is($replay, $young, 'the young key still replays the first response');

my ($ret4, $again, $err4) = as_tenant(
	q{SELECT (commerce.create_customer_group('{"name": "Old"}', 'key-old'))->>'id'});
isnt($ret4, 0, 'the purged key no longer replays: the command runs again');
like($err4, qr/ERROR:  23505:/, '... and meets the group it created the first time (23505)');

$node->stop;
done_testing();
