# test/t/520_gateway_attacks.pl — what a hostile or careless client sends,
# over real HTTP: auth attacks (no token, bad signature, alg none, RS256 and
# HS384 headers, expired, not yet valid, no tenant claim, X-Tenant-Id with a
# staff token, another tenant's ids, a customer reading another customer's
# data, a suspended tenant) and bad input (malformed JSON, wrong types, body
# over the limit, non-JSON content type, unknown route, wrong method, huge
# query string, huge headers, invalid UTF-8, JSON nested 10,000 deep). Each
# is a 4xx with the error body, nothing is written, and the gateway stays
# healthy (and exits clean under ASan).
use strict;
use warnings;
use IO::Socket::INET;
use IPC::Run;
use JSON::PP;
use MIME::Base64 qw(encode_base64url);
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('gw_attacks');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('acme', 'Acme', 'EUR')});
my $t2 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('globex', 'Globex', 'EUR')});
my $c1 = '01900000-0000-7000-8000-000000000001';
my $c2 = '01900000-0000-7000-8000-000000000002';

# Notes owned by customers: a customer actor sees only its own.
$node->safe_psql('commerce', <<SQL);
CREATE TABLE public.notes (
  tenant_id uuid NOT NULL DEFAULT commerce.current_tenant(),
  id uuid NOT NULL DEFAULT commerce.uuid_generate_v7(),
  owner uuid,
  body jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id));
SELECT commerce.enable_tenancy('public.notes');
-- enable_tenancy grants callers SELECT only: this plugin's route handlers
-- write its table as the gateway, under the tenant policy.
GRANT INSERT, UPDATE, DELETE ON public.notes TO commerce_gateway;
CREATE POLICY own_notes ON public.notes AS RESTRICTIVE
  USING (commerce.current_actor() IS DISTINCT FROM 'customer'
         OR owner::text = commerce.current_subject());
CREATE FUNCTION public.create_note(data jsonb) RETURNS jsonb LANGUAGE plpgsql AS \$\$
DECLARE r jsonb;
BEGIN
  IF jsonb_typeof(data->'text') IS DISTINCT FROM 'string' THEN
    RAISE EXCEPTION 'field "text" must be a string' USING ERRCODE = '22023',
      CONSTRAINT = 'invalid_input', SCHEMA = 'commerce';
  END IF;
  INSERT INTO public.notes (owner, body) VALUES ((data->>'owner')::uuid, data)
    RETURNING jsonb_build_object('id', id) INTO r;
  RETURN r;
END \$\$;
CREATE FUNCTION public.get_note(id uuid) RETURNS jsonb LANGUAGE plpgsql AS \$\$
DECLARE r jsonb;
BEGIN
  SELECT jsonb_build_object('id', n.id, 'body', n.body) INTO r FROM public.notes n WHERE n.id = get_note.id;
  IF r IS NULL THEN
    RAISE EXCEPTION 'not found' USING ERRCODE = 'P0002', CONSTRAINT = 'not_found', SCHEMA = 'commerce';
  END IF;
  RETURN r;
END \$\$;
SELECT commerce.register_route('POST', '/v1/notes', 'public.create_note(jsonb)', 201);
SELECT commerce.register_route('GET', '/v1/notes/{id}', 'public.get_note(uuid)');
SQL

my $gw = start_gateway($node, env => { PGCOMMERCE_MAX_BODY => '64k', PGCOMMERCE_MAX_HEADER => '16k',
	PGCOMMERCE_READ_TIMEOUT => 2 });
my $exp = time + 3600;
my %claims = (tenant_id => $t1, sub => 'alice', role => 'staff', exp => $exp);
my $staff1 = make_jwt({%claims});
my $staff2 = make_jwt({ %claims, tenant_id => $t2 });
my $cust1 = make_jwt({ %claims, role => 'customer', sub => $c1 });
my $cust2 = make_jwt({ %claims, role => 'customer', sub => $c2 });

my $r;
for (1 .. 100) { $r = $gw->post('/v1/notes', token => $staff1, body => { text => 'mine', owner => $c1 });
	last if $r->{status} == 201; sleep 0.1 }
is($r->{status}, 201, 'setup: staff creates a note for customer 1') or diag($r->{content});
my $note = $r->{json}{id};

sub notes_count { $node->safe_psql('commerce', 'SELECT count(*) FROM public.notes') }
my $count = notes_count();

sub rejected
{
	my ($res, $status, $code, $name) = @_;
	is($res->{status}, $status, "$name: $status");
	my $e = $res->{json} && $res->{json}{error};
	ok($e && $e->{code} && defined $e->{message} && ref $e->{details} eq 'HASH'
		  && $e->{request_id}, "$name: error body") or diag($res->{content});
	is($e->{code}, $code, "$name: code $code") if $code && $e;
}

# --- auth attacks -----------------------------------------------------------
my $body = { text => 'x' };
rejected($gw->post('/v1/notes', body => $body), 401, 'missing_token', 'no token');
rejected($gw->post('/v1/notes', body => $body, headers => { Authorization => 'Basic abc' }),
	401, 'missing_token', 'not a bearer token');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({%claims}, secret => 'wrong' x 10)),
	401, 'invalid_token', 'bad signature');
my $tampered = $staff1;
my ($h, $p, $s) = split /\./, $tampered;
$p = encode_base64url(encode_json({ %claims, tenant_id => $t2 }));
rejected($gw->post('/v1/notes', body => $body, token => "$h.$p.$s"), 401, 'invalid_token',
	'payload swapped under a valid signature');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({%claims}, alg => 'none')),
	401, 'invalid_token', 'alg none');
my $none_sig = make_jwt({%claims}, alg => 'none');
rejected($gw->post('/v1/notes', body => $body, token => $none_sig =~ s/\.[^.]*$/./r),
	401, 'invalid_token', 'alg none with an empty signature');
rejected($gw->post('/v1/notes', body => $body,
		token => make_jwt({%claims}, header => { alg => 'RS256', typ => 'JWT' })),
	401, 'invalid_token', 'RS256 header (HMAC-signed with the secret)');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({%claims}, alg => 'HS384')),
	401, 'invalid_token', 'HS384');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({ %claims, exp => time - 3600 })),
	401, 'invalid_token', 'expired');
is($gw->get("/v1/notes/$note", token => make_jwt({ %claims, exp => time - 10 }))->{status}, 200,
	'expired 10 s ago: inside the 30 s clock-skew leeway');
is($gw->get("/v1/notes/$note", token => make_jwt({ %claims, nbf => time + 10 }))->{status}, 200,
	'valid in 10 s: inside the leeway');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({ %claims, exp => time - 60 })),
	401, 'invalid_token', 'expired 60 s ago');
my %noexp = %claims; delete $noexp{exp};
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({%noexp})),
	401, 'invalid_token', 'no exp');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({ %claims, exp => "$exp" })),
	401, 'invalid_token', 'exp as a string');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({ %claims, tenant_id => 'acme' })),
	401, 'invalid_token', 'tenant_id that is not a uuid');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({ %claims, nbf => time + 3600 })),
	401, 'invalid_token', 'not valid before');
my %notenant = %claims; delete $notenant{tenant_id};
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({%notenant})),
	401, 'invalid_token', 'no tenant claim');
rejected($gw->post('/v1/notes', body => $body, token => make_jwt({ %claims, role => 'root' })),
	401, 'invalid_token', 'unknown role');
rejected($gw->post('/v1/notes', body => $body, token => 'a.b'), 401, 'invalid_token', 'garbage token');
rejected($gw->post('/v1/notes', body => $body, token => $staff1, headers => { 'X-Tenant-Id' => $t2 }),
	403, 'tenant_header_forbidden', 'X-Tenant-Id with a staff token');
rejected($gw->get("/v1/notes/$note", token => $staff2), 404, 'not_found', "another tenant's id");
rejected($gw->get("/v1/notes/$note", token => $cust2), 404, 'not_found', "another customer's note");
is($gw->get("/v1/notes/$note", token => $cust1)->{status}, 200, 'the owning customer reads it');
rejected($gw->get("/v1/notes/$note", token => make_jwt({ %claims, role => 'customer', sub => 'x' })),
	401, 'invalid_token', 'customer token whose sub is not a customer id');
rejected($gw->get("/v1/notes/$note", token => make_jwt({ %claims, tenant_id => '01900000-0000-7000-8000-00000000dead' })),
	403, 'tenant_not_found', 'a tenant that does not exist');
rejected($gw->get('/v1/events', token => $cust1), 403, 'permission_denied', 'a customer reading the event feed');

# Suspension reaches the gateway's cache at once (NOTIFY) and is 403.
is($gw->get("/v1/notes/$note", token => $staff1)->{status}, 200, 'active tenant is served (cached)');
$node->safe_psql('commerce', "SELECT commerce.suspend_tenant('$t1')");
my $st;
for (1 .. 50) { $st = $gw->get("/v1/notes/$note", token => $staff1); last if $st->{status} == 403; sleep 0.1 }
rejected($st, 403, 'tenant_suspended', 'suspended tenant');
$node->safe_psql('commerce', "SELECT commerce.activate_tenant('$t1')");
for (1 .. 50) { $st = $gw->get("/v1/notes/$note", token => $staff1); last if $st->{status} == 200; sleep 0.1 }
is($st->{status}, 200, 're-activated tenant is served again');
is(notes_count(), $count, 'no auth attack wrote anything');

# --- bad input --------------------------------------------------------------
sub raw_post
{
	my ($content, $ctype) = @_;
	return $gw->request('POST', '/v1/notes', token => $staff1,
		headers => { 'Content-Type' => $ctype // 'application/json' }, body => $content);
}
rejected(raw_post('{"text": '), 400, 'malformed_json', 'malformed JSON');
rejected(raw_post('{"text": "a", "text": "b"}'), 400, 'malformed_json', 'duplicate keys');
rejected(raw_post('{"text": 12}'), 400, 'invalid_input', 'wrong type');
rejected(raw_post('{"text": "' . ('x' x 70000) . '"}'), 413, 'payload_too_large', 'body over the limit');
rejected(raw_post('text=hello', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type',
	'form content type');
rejected(raw_post('{"text": "a"}', 'text/plain'), 415, 'unsupported_media_type', 'text/plain');
rejected(raw_post("{\"text\": \"\xff\xfe\"}"), 400, 'malformed_json', 'invalid UTF-8 in the body');
rejected(raw_post(('[' x 10000) . (']' x 10000)), 400, 'malformed_json', 'JSON nested 10,000 deep');
rejected(raw_post(('{"a":' x 10000) . '1' . ('}' x 10000)), 400, 'malformed_json', 'objects nested 10,000 deep');
rejected($gw->get('/v1/nope', token => $staff1), 404, 'route_not_found', 'unknown route');
rejected($gw->request('DELETE', '/v1/notes', token => $staff1), 405, 'method_not_allowed', 'wrong method');
rejected($gw->get('/v1/notes/' . $note . '?x=' . ('a' x 8000), token => $staff1), 414, 'uri_too_long',
	'huge query string');
rejected($gw->get('/v1/notes/%ff%fe', token => $staff1), 400, 'invalid_parameter', 'invalid UTF-8 in the path');
rejected($gw->get("/v1/notes/$note?x=%ff", token => $staff1), 400, 'invalid_parameter',
	'invalid UTF-8 in the query');

# Headers over the limit: the connection is refused with a 4xx, no crash.
my $big = $gw->get('/healthz', headers => { 'X-Big' => 'h' x 20000 });
ok($big->{status} >= 400 && $big->{status} < 500, "huge header is a 4xx ($big->{status})");

# Slow client (one byte then silence) does not block others; it is cut off.
my $slow = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Proto => 'tcp');
print $slow "G";
is($gw->get('/healthz')->{status}, 200, 'others are served while a client dawdles');
{
	my $t0 = time;
	$slow->blocking(1);
	my $got = sysread($slow, my $buf, 1);
	my $waited = time - $t0;
	ok(!$got, 'the dawdling client is cut off');
	cmp_ok($waited, '<', 6, sprintf('after the read timeout (%.1f s)', $waited));
}

is(notes_count(), $count, 'no bad input wrote anything');
is($gw->get('/readyz')->{status}, 200, 'gateway healthy after all of it');
close $slow;

is($gw->stop, 0, 'gateway exits 0 on SIGTERM');

# A log reader that does not read (a stuck pipe) never stalls requests:
# 1,500 requests log 1,500 lines, far more than a pipe holds.
{
	my $gwp = start_gateway($node, stdout_pipe => 1);
	my @urls = map { $gwp->base . "/healthz?n=$_" } 1 .. 1500;
	my ($out, $err) = ('', '');
	my $t0 = time;
	IPC::Run::run([ 'curl', '-s', '-Z', '--parallel-max', '8', '-w', '%{http_code}\n',
		map({ ('-o', '/dev/null', $_) } @urls) ], '>', \$out, '2>', \$err, IPC::Run::timeout(120));
	my %codes;
	$codes{$_}++ for split /\n/, $out;
	is_deeply(\%codes, { 200 => 1500 }, 'all answered while nobody reads the log');
	is($gwp->stop, 0, 'and it exits 0, its log flushed');
	my $lines = () = ($gwp->{piped} // '') =~ /"route":"\/healthz"/g;
	cmp_ok($lines, '>=', 1500, "every request logged ($lines lines)");
}
$node->stop;
done_testing();
