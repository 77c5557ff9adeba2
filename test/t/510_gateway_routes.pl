# test/t/510_gateway_routes.pl — routes from commerce.routes over real HTTP:
# binding by name (path, query, body, Idempotency-Key, If-Match, limit and
# after), tenant context from the token, 201 + Location, ETag, 404/405,
# route reload without a restart, error mapping (codes and SQLSTATE
# classes), statement timeout 504, metrics, OpenAPI, and a database restart
# under load (503 while down, full service after, no gateway restart).
use strict;
use warnings;
use IPC::Run;
use HTTP::Tiny;
use POSIX ();
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('gw_routes');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('acme', 'Acme', 'EUR')});
my $t2 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('globex', 'Globex', 'EUR')});

# A tiny tenant-safe resource served by plain SQL handlers: the gateway must
# not care whether a handler is core C or a plugin's SQL.
$node->safe_psql('commerce', <<'SQL');
CREATE TABLE public.notes (
  tenant_id uuid NOT NULL DEFAULT commerce.current_tenant(),
  id uuid NOT NULL DEFAULT commerce.uuid_generate_v7(),
  body jsonb NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id));
SELECT commerce.enable_tenancy('public.notes');
-- enable_tenancy grants callers SELECT only: this plugin's route handlers
-- write its table as the gateway, under the tenant policy.
GRANT INSERT, UPDATE, DELETE ON public.notes TO commerce_gateway;
CREATE FUNCTION public.note_json(n public.notes) RETURNS jsonb LANGUAGE sql
  AS $$ SELECT jsonb_build_object('id', n.id, 'version', n.version, 'body', n.body) $$;
CREATE FUNCTION public.create_note(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE n public.notes;
BEGIN
  IF jsonb_typeof(data->'text') IS DISTINCT FROM 'string' THEN
    RAISE EXCEPTION 'field "text" must be a string' USING ERRCODE = '22023',
      CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  INSERT INTO public.notes (body) VALUES (data) RETURNING * INTO n;
  RETURN public.note_json(n) || jsonb_build_object('idempotency_key', idempotency_key);
END $$;
CREATE FUNCTION public.get_note(id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE n public.notes;
BEGIN
  SELECT * INTO n FROM public.notes WHERE notes.id = get_note.id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'note % not found', id USING ERRCODE = 'P0002',
      CONSTRAINT = 'not_found', SCHEMA = 'commerce';
  END IF;
  RETURN public.note_json(n);
END $$;
CREATE FUNCTION public.update_note(id uuid, data jsonb, expected_version bigint DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE n public.notes;
BEGIN
  SELECT * INTO n FROM public.notes WHERE notes.id = update_note.id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'note % not found', id USING ERRCODE = 'P0002', CONSTRAINT = 'not_found', SCHEMA = 'commerce';
  END IF;
  IF expected_version IS NOT NULL AND expected_version <> n.version THEN
    RAISE EXCEPTION 'version is %, not %', n.version, expected_version USING ERRCODE = '40001',
      CONSTRAINT = 'version_conflict', SCHEMA = 'commerce';
  END IF;
  UPDATE public.notes SET body = data, version = version + 1 WHERE notes.id = update_note.id RETURNING * INTO n;
  RETURN public.note_json(n);
END $$;
CREATE FUNCTION public.list_notes(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
  WITH page AS (SELECT * FROM public.notes WHERE after IS NULL OR id > after::uuid ORDER BY id LIMIT lim + 1),
       shown AS (SELECT * FROM page ORDER BY id LIMIT lim)
  SELECT jsonb_build_object(
    'data', coalesce((SELECT jsonb_agg(public.note_json(s) ORDER BY s.id) FROM shown s), '[]'),
    'next_cursor', CASE WHEN (SELECT count(*) FROM page) > lim
                        THEN (SELECT id::text FROM shown ORDER BY id DESC LIMIT 1) END)
$$;
CREATE FUNCTION public.whoami(echo text DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('tenant', commerce.current_tenant(), 'actor', commerce.current_actor(),
    'subject', commerce.current_subject(), 'request_id', current_setting('commerce.request_id'),
    'echo', echo) $$;
CREATE FUNCTION public.slow(seconds float8) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('slept', seconds) FROM pg_sleep(seconds) $$;
CREATE FUNCTION public.divide(a int, b int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('q', a / b) $$;
CREATE FUNCTION public.dup() RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN RAISE unique_violation USING MESSAGE = 'duplicate thing'; END $$;
CREATE FUNCTION public.boom() RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'internal secret detail' USING ERRCODE = 'XX000'; END $$;
SELECT commerce.register_route('POST', '/v1/notes', 'public.create_note(jsonb,text)', 201, 'tenant', 'Create a note');
SELECT commerce.register_route('GET', '/v1/notes', 'public.list_notes(int,text)', 200, 'tenant', 'List notes');
SELECT commerce.register_route('GET', '/v1/notes/{id}', 'public.get_note(uuid)', 200, 'tenant', 'Read a note');
SELECT commerce.register_route('PATCH', '/v1/notes/{id}', 'public.update_note(uuid,jsonb,bigint)', 200, 'tenant', 'Update a note');
SELECT commerce.register_route('GET', '/v1/whoami', 'public.whoami(text)', 200, 'tenant', 'Who am I');
SELECT commerce.register_route('GET', '/v1/slow', 'public.slow(float8)');
SELECT commerce.register_route('GET', '/v1/divide', 'public.divide(int,int)');
SELECT commerce.register_route('POST', '/v1/dup', 'public.dup()');
SELECT commerce.register_route('GET', '/v1/boom', 'public.boom()');
SQL

my $gw = start_gateway($node, env => { PGCOMMERCE_STATEMENT_TIMEOUT_MS => 1000 });
my $exp = time + 3600;
my $staff1 = make_jwt({ tenant_id => $t1, sub => 'alice', role => 'staff', exp => $exp });
my $staff2 = make_jwt({ tenant_id => $t2, sub => 'bob', role => 'staff', exp => $exp });
my $admin = make_jwt({ sub => 'ops', role => 'platform_admin', exp => $exp });

# Routes load in the background at start.
my $r;
for (1 .. 100) { $r = $gw->get('/v1/whoami', token => $staff1); last if $r->{status} != 404; sleep 0.1 }
is($r->{status}, 200, 'a registered route answers') or diag($r->{content});
is($r->{json}{tenant}, $t1, 'tenant context from the token');
is($r->{json}{actor}, 'staff', 'actor staff');
is($r->{json}{subject}, 'alice', 'subject from sub');
is($r->{json}{request_id}, $r->{headers}{'x-request-id'}, 'request id reaches the database context');
$r = $gw->get('/v1/whoami?echo=hi%20there', token => $staff1);
is($r->{json}{echo}, 'hi there', 'query parameter bound by name');
$r = $gw->get('/v1/whoami?nope=1', token => $staff1);
is($r->{status}, 400, 'unknown query parameter is 400');
$r = $gw->get('/v1/whoami', token => $admin, headers => { 'X-Tenant-Id' => $t2 });
is($r->{json}{tenant}, $t2, 'platform_admin acts in X-Tenant-Id');

# Create, 201 + Location + ETag; idempotency key reaches the handler.
$r = $gw->post('/v1/notes', token => $staff1, body => { text => 'first' },
	headers => { 'Idempotency-Key' => 'k-1' });
is($r->{status}, 201, 'POST creates: 201') or diag($r->{content});
my $id = $r->{json}{id};
is($r->{headers}{location}, "/v1/notes/$id", 'Location of the new note');
is($r->{headers}{etag}, '"1"', 'ETag is the version');
is($r->{json}{idempotency_key}, 'k-1', 'Idempotency-Key bound to idempotency_key');

$r = $gw->get("/v1/notes/$id", token => $staff1);
is($r->{status}, 200, 'GET by id');
is($r->{json}{body}{text}, 'first', 'body round trip');

# Another tenant's id is 404, like a missing one.
$r = $gw->get("/v1/notes/$id", token => $staff2);
is($r->{status}, 404, "another tenant's id is 404");
is($r->{json}{error}{code}, 'not_found', 'code not_found');

# If-Match: right version updates, stale version is 412.
$r = $gw->request('PATCH', "/v1/notes/$id", token => $staff1, body => { text => 'second' },
	headers => { 'If-Match' => '"1"' });
is($r->{status}, 200, 'PATCH with the right If-Match');
is($r->{headers}{etag}, '"2"', 'new ETag');
$r = $gw->request('PATCH', "/v1/notes/$id", token => $staff1, body => { text => 'third' },
	headers => { 'If-Match' => '"1"' });
is($r->{status}, 412, 'stale If-Match is 412');
is($r->{json}{error}{code}, 'version_conflict', 'code version_conflict');
is($node->safe_psql('commerce', "SELECT body->>'text' FROM public.notes WHERE id = '$id'"), 'second',
	'nothing written by the rejected update');

# Cursor pagination with limit and after.
$gw->post('/v1/notes', token => $staff1, body => { text => "n$_" }) for 1 .. 4;
$r = $gw->get('/v1/notes?limit=2', token => $staff1);
is(scalar @{ $r->{json}{data} }, 2, 'limit=2 gives two');
ok($r->{json}{next_cursor}, 'and a next cursor');
my $seen = 2;
my $cursor = $r->{json}{next_cursor};
while ($cursor)
{
	$r = $gw->get("/v1/notes?limit=2&after=$cursor", token => $staff1);
	$seen += @{ $r->{json}{data} };
	$cursor = $r->{json}{next_cursor};
}
is($seen, 5, 'walking the cursor sees every note once');
is($gw->get('/v1/notes?limit=0', token => $staff1)->{status}, 400, 'limit=0 is 400');
is($gw->get('/v1/notes?limit=201', token => $staff1)->{status}, 400, 'limit=201 is 400');
is($gw->get('/v1/notes?limit=abc', token => $staff1)->{status}, 400, 'limit=abc is 400');

# 404 and 405 + Allow.
$r = $gw->request('DELETE', "/v1/notes/$id", token => $staff1);
is($r->{status}, 405, 'wrong method is 405');
like($r->{headers}{allow}, qr/GET/, 'Allow lists GET');
like($r->{headers}{allow}, qr/PATCH/, 'Allow lists PATCH');
is($gw->get('/v1/nothing/here', token => $staff1)->{status}, 404, 'unknown route is 404');

# Error mapping: codes from commerce.error_codes, else SQLSTATE class.
$r = $gw->post('/v1/notes', token => $staff1, body => { text => 42 });
is($r->{status}, 400, 'invalid_input (22023, in error_codes) is 400');
is($r->{json}{error}{code}, 'invalid_input', 'code from the constraint field');
$r = $gw->get('/v1/notes/not-a-uuid', token => $staff1);
is($r->{status}, 400, 'malformed uuid (22P02) is 400 by class');
$r = $gw->get('/v1/divide?a=1&b=0', token => $staff1);
is($r->{status}, 400, 'division by zero (22012) is 400 by class');
$r = $gw->post('/v1/dup', token => $staff1);
is($r->{status}, 409, 'unique violation (23505) is 409');
$r = $gw->get('/v1/boom', token => $staff1);
is($r->{status}, 500, 'XX000 is 500');
unlike($r->{content}, qr/secret detail/, 'a 500 does not leak the server message');
$r = $gw->get('/v1/slow?seconds=3', token => $staff1);
is($r->{status}, 504, 'statement timeout is 504');
is($r->{json}{error}{code}, 'statement_timeout', 'code statement_timeout');
is($gw->get('/v1/whoami', token => $staff1)->{status}, 200, 'healthy after errors');

# Concurrency beyond the pool: every connection of the pool is used and
# requests queue for one; all are answered.
{
	my @urls = map { ($gw->base . '/v1/slow?seconds=0.05') } 1 .. 48;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'curl', '-s', '-Z', '--parallel-max', '24', '-H', "Authorization: Bearer $staff1",
		'-w', '%{http_code}\n', map({ ('-o', '/dev/null', $_) } @urls) ], '>', \$out, '2>', \$err);
	my %codes;
	$codes{$_}++ for split /\n/, $out;
	is_deeply(\%codes, { 200 => 48 }, '48 concurrent requests over a pool of 4 all succeed');
}

# Route reload without a restart.
$node->safe_psql('commerce',
	q{SELECT commerce.register_route('GET', '/v1/hello', 'public.whoami(text)', 200, 'tenant', 'Hello')});
my $ok = 0;
for (1 .. 50) { $ok = $gw->get('/v1/hello', token => $staff1)->{status} == 200 and last; sleep 0.1 }
ok($ok, 'a route registered while running is served');
$node->safe_psql('commerce', q{SELECT commerce.unregister_route('GET', '/v1/hello')});
for (1 .. 50) { $ok = $gw->get('/v1/hello', token => $staff1)->{status} == 404 and last; sleep 0.1 }
ok($ok, 'an unregistered route is gone');

# OpenAPI and metrics.
$r = $gw->get('/openapi.json');
is($r->{status}, 200, '/openapi.json');
is($r->{json}{openapi}, '3.1.0', 'OpenAPI 3.1');
ok($r->{json}{paths}{'/v1/notes/{id}'}{patch}, 'documents the routes');
$r = $gw->get('/metrics');
like($r->{content}, qr/pgcommerce_http_requests_total\{route="\/v1\/notes\/\{id\}",method="GET",status="404"\} \d+/,
	'requests by route and status');
like($r->{content}, qr/pgcommerce_http_request_duration_seconds_bucket\{route="[^"]+",method="GET",le="\+Inf"\} \d+/, 'latency histogram');
like($r->{content}, qr/pgcommerce_db_pool_in_use \d+/, 'pool in use');
like($r->{content}, qr/pgcommerce_db_errors_total [1-9]/, 'database errors counted');

# Database restarted under load: clients keep firing while it stops and
# starts; only 200s and 503s are seen, 503s while it is down, and every
# request is answered again afterwards, without restarting the gateway.
{
	my $statusfile = PostgreSQL::Test::Utils::tempdir() . '/load';
	my @loaders;
	for my $n (1 .. 4)
	{
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if ($pid == 0)
		{
			my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 1);
			open my $fh, '>', "$statusfile.$n" or die;
			$fh->autoflush(1);
			my $end = time + 12;
			while (time < $end)
			{
				my $res = $http->get($gw->base . '/v1/whoami', { headers => { Authorization => "Bearer $staff1" } });
				printf $fh "%.3f %d\n", time, $res->{status};
				sleep 0.01;
			}
			close $fh;
			# Skip END blocks and destructors: they belong to the parent
			# (node teardown, the gateway's harness).
			POSIX::_exit(0);
		}
		push @loaders, $pid;
	}
	sleep 2;
	my $down_at = time;
	$node->stop('fast');
	sleep 3;
	my $up_at = time;
	$node->start;
	waitpid($_, 0) for @loaders;
	my (%codes, $down503, $late_bad, $late);
	for my $n (1 .. 4)
	{
		open my $fh, '<', "$statusfile.$n" or die;
		while (<$fh>)
		{
			my ($t, $code) = split;
			$codes{$code}++;
			$down503++ if $code == 503 && $t > $down_at + 0.5 && $t < $up_at;
			if ($t > $up_at + 3) { $late++; $late_bad++ if $code != 200 }
		}
	}
	is_deeply([ sort keys %codes ], [ 200, 503 ], 'under load: only 200 and 503 answers') or diag(explain \%codes);
	ok($down503, "503s while the database is down ($down503)");
	ok($late && !$late_bad, "full service once it is back ($late requests, " . ($late_bad // 0) . ' failed)');
}
$r = $gw->get('/v1/whoami', token => $staff1);
is($r->{status}, 200, 'served after the restart') or diag($r->{content});
is($gw->get('/readyz')->{status}, 200, 'ready again') or diag(join "\n", grep { !/"level":"info","request_id"/ } split /\n/, $gw->stdout);

is($gw->stop, 0, 'gateway exits 0 on SIGTERM');
$node->stop;
done_testing();
