# test/t/008_idempotency_locks.pl — the in-flight lock of an idempotency
# key, with real sessions. Issue 11's attack: the lock used to be
# pg_try_advisory_xact_lock(hash(tenant, key)), a hash anyone can compute,
# so a role of tenant A holding pg_advisory_lock on it made tenant B's
# command fail with idempotency_key_in_use. Now the lock's tag has a field4
# no pg_advisory_* function produces: while session 1 holds every advisory
# lock the old scheme could name for the key (bigint and int4-pair forms,
# session and transaction level), the very field2/field3 of the new lock,
# and random bigint and int4-pair keys, session 2's command runs. And two
# requests of the same scope and key still meet: the second gets
# idempotency_key_in_use while the first is open, a replay after its
# commit, a fresh run after its rollback; another caller's same key never
# waits for either.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('idempotency_locks');
my ($tenant_a, $tenant_b) = split /\n/, $node->safe_psql('commerce', q{
	CREATE ROLE idem_a LOGIN;
	CREATE ROLE idem_b LOGIN;
	CREATE ROLE idem_gw LOGIN IN ROLE commerce_gateway;
	SELECT commerce.create_tenant('idem-a', 'A', 'EUR');
	SELECT commerce.create_tenant('idem-b', 'B', 'EUR');
});
$node->safe_psql('commerce', qq{
	SELECT commerce.bind_role('idem_a', '$tenant_a');
	SELECT commerce.bind_role('idem_b', '$tenant_b');
});

# Run sql as role in a transaction of its own; lock_timeout makes a
# command that would wait fail instead of hanging. Returns (ok, stdout,
# the pgcommerce code of the error or '').
sub run_as
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('commerce',
		"BEGIN;\nSET LOCAL lock_timeout = '5s';\n$sql;\nCOMMIT;",
		extra_params => [ '-U', $role, '-v', 'VERBOSITY=verbose', '-v', 'ON_ERROR_STOP=1' ]);
	my ($code) = $err =~ /CONSTRAINT NAME:\s+(\S+)/;
	return ($ret == 0, $out, $code // ($ret == 0 ? '' : $err));
}

sub create_group
{
	my ($name, $key) = @_;
	return qq{SELECT commerce.create_customer_group('{"name": "$name"}', '$key') ->> 'id'};
}

# --- 1. another tenant's role holds every lock it can name ---------------
my $key = 'order-42';
my $attacker = $node->background_psql('commerce', extra_params => [ '-U', 'idem_a' ]);
$attacker->query_safe('CREATE TEMP TABLE held (k bigint)');
# What the old scheme locked, hash_bytes_extended(key, hash_bytes_extended(
# tenant)), is hashtextextended(key, uuid_hash_extended(tenant, 0)) in SQL;
# for both tenants, and seeded with 0. The new lock's field2/field3: the
# first 8 bytes of SHA-256(tenant || 'staff' NUL || '' NUL || key), read as
# a big-endian integer, as extension/command.c does.
$attacker->query_safe(qq{
	INSERT INTO held
	SELECT pg_catalog.hashtextextended('$key', pg_catalog.uuid_hash_extended(t, 0))
	  FROM unnest(ARRAY['$tenant_a'::uuid, '$tenant_b'::uuid]) t
	UNION ALL SELECT pg_catalog.hashtextextended('$key', 0)
	UNION ALL
	SELECT ('x' || encode(substring(sha256(decode(replace('$tenant_b', '-', ''), 'hex')
	                                      || '\\x7374616666'::bytea || '\\x0000'::bytea
	                                      || convert_to('$key', 'UTF8')) FROM 1 FOR 8), 'hex'))::bit(64)::bigint
	UNION ALL SELECT (random() * 9e18)::bigint FROM generate_series(1, 200)});
$attacker->query_safe('BEGIN');
my $held = $attacker->query_safe(q{
	SELECT count(*) FROM (
	  SELECT pg_advisory_lock(k), pg_advisory_xact_lock(k),
	         pg_advisory_lock((k >> 32)::int4, ((k & 4294967295) - CASE WHEN k & 2147483648 <> 0 THEN 4294967296 ELSE 0 END)::int4),
	         pg_advisory_xact_lock((k >> 32)::int4, ((k & 4294967295) - CASE WHEN k & 2147483648 <> 0 THEN 4294967296 ELSE 0 END)::int4)
	  FROM held) l});
is($held, '204', 'the attacker holds 204 keys, each as bigint and int4 pair, session and transaction level');
$attacker->query_safe(q{SELECT pg_advisory_xact_lock((random() * 2e9)::int4, (random() * 2e9)::int4) FROM generate_series(1, 200)});

my $victim = $node->background_psql('commerce', on_error_stop => 0,
	extra_params => [ '-U', 'idem_b', '-v', 'VERBOSITY=verbose' ]);
$victim->query_safe('BEGIN');
my ($group) = $victim->query(create_group('VIP', $key));
like($group, qr/^[0-9a-f-]{36}$/, "tenant B's command with key $key runs while A holds all those locks")
  or diag($victim->{stderr});
$victim->{stderr} = '';
is($node->safe_psql('commerce', qq{
	SELECT count(*) FROM pg_locks v JOIN pg_locks a USING (locktype, database, classid, objid)
	 WHERE locktype = 'advisory' AND v.objsubid = 28771 AND a.objsubid IN (1, 2)
	   AND v.pid <> a.pid AND v.granted AND a.granted}),
	'2', 'the attacker held the very field2/field3 of B\'s key lock, as bigint and int4 pair: only field4 (0x7063) told them apart');
$victim->query_safe('COMMIT');
my ($ok, $replay) = run_as('idem_b', create_group('VIP', $key));
is($replay, $group, 'the committed key replays for B, the attacker still holding everything');

# The attacker's own tenant: its key of the same name is its own.
($ok, my $own) = run_as('idem_a', create_group('VIP', $key));
ok($ok && $own ne $group, "A's own command with $key runs too, apart from B's");
$attacker->query_safe('COMMIT');
$attacker->query_safe('SELECT pg_advisory_unlock_all()');
$attacker->quit;

# --- 2. the same scope and key still exclude each other ------------------
my $first = $node->background_psql('commerce', extra_params => [ '-U', 'idem_b' ]);
$first->query_safe('BEGIN');
my $running = $first->query_safe(create_group('Gold', 'same-key'));
my ($ok2, $out2, $code2) = run_as('idem_b', create_group('Gold', 'same-key'));
is($code2, 'idempotency_key_in_use', 'the same role and key while the first is open: idempotency_key_in_use');
($ok2, $out2, $code2) = run_as('idem_b', create_group('Silver', 'same-key'));
is($code2, 'idempotency_key_in_use', 'whatever the body: the first is still running');
my ($ok3, $other, $err3) = run_as('idem_gw',
	"SELECT commerce.set_context('$tenant_b', 'alice') IS NULL AS ok \\gset\n" . create_group('Gold2', 'same-key'));
ok($ok3 && $other =~ /^[0-9a-f-]{36}$/, 'gateway staff alice of the same tenant with the same key neither waits nor fails')
  or diag($err3);
$first->query_safe('COMMIT');
my ($ok4, $after) = run_as('idem_b', create_group('Gold', 'same-key'));
is($after, $running, 'after the commit the same request replays the first response');

$first->query_safe('BEGIN');
my $rolled = $first->query_safe(create_group('Bronze', 'rolled-back'));
is((run_as('idem_b', create_group('Bronze', 'rolled-back')))[2], 'idempotency_key_in_use',
	'in use while the first is open');
$first->query_safe('ROLLBACK');
my ($ok5, $fresh) = run_as('idem_b', create_group('Bronze', 'rolled-back'));
ok($ok5 && $fresh =~ /^[0-9a-f-]{36}$/ && $fresh ne $rolled,
	'after its rollback the lock is gone and the command runs afresh');
is($node->safe_psql('commerce', q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 28771}),
	'0', 'no key lock outlives its transaction');
$first->quit;
$victim->quit;

$node->stop;
done_testing();
