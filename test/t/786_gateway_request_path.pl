# test/t/786_gateway_request_path.pl — the gateway's cheaper request path
# (issue 13, session 11) keeps the contract: a verified token is
# remembered by its exact text, yet refused the moment it expires, not
# before its nbf, and a token differing by one byte is verified afresh;
# a plain JSON body is bound as sent (same jsonb in the database), while
# escapes, duplicate keys (also spelt with an escape), leading zeros,
# int64 overflow and reals take jansson's path with its answers as
# before; a route taking body fields by name still gets them. Run under
# ASan: no leak.
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway gateway_role make_jwt);

my $node = commerce_node('gw_path');
gateway_role($node);
my $tenant = $node->safe_psql('commerce', "SELECT commerce.create_tenant('acme', 'Acme', 'EUR')");
$node->safe_psql('commerce', q{
CREATE FUNCTION public.echo_data(data jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT data $$;
CREATE FUNCTION public.echo_fields(a int, b text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('a', a, 'b', b) $$;
SELECT commerce.register_route('POST', '/v1/echo-data', 'public.echo_data(jsonb)');
SELECT commerce.register_route('POST', '/v1/echo-fields', 'public.echo_fields(int,text)');});
my $gw = start_gateway($node, env => { PGCOMMERCE_JWT_LEEWAY => 0 });
my $staff = make_jwt({ tenant_id => $tenant, sub => 'alice', role => 'staff', exp => time + 3600 });

# --- remembered tokens -----------------------------------------------------
my $exp = int(time) + 2;
my $short = make_jwt({ tenant_id => $tenant, sub => 'bob', role => 'staff', exp => $exp });
is($gw->get('/v1/products', token => $short)->{status}, 200, 'a token about to expire: 200');
is($gw->get('/v1/products', token => $short)->{status}, 200, '... again (remembered)');
# (the signature's second-to-last character: the last one of 43 carries 4
# bits and 2 of padding, so 'A' -> 'B' there could decode to the same bytes)
(my $forged = $short) =~ s/(.)(.)$/($1 eq 'A' ? 'B' : 'A') . $2/e;
my $r = $gw->get('/v1/products', token => $forged);
is($r->{status}, 401, 'the same token with its last character changed: 401');
is($r->{json}{error}{message}, 'bad signature', '... bad signature (verified afresh)');
my $other = make_jwt({ tenant_id => $tenant, sub => 'bob', role => 'staff', exp => $exp }, secret => 'another secret');
is($gw->get('/v1/products', token => $other)->{status}, 401, 'the same claims under another secret: 401');
sleep 0.1 while time <= $exp + 2;
$r = $gw->get('/v1/products', token => $short);
is($r->{status}, 401, 'the remembered token, once expired: 401') or diag("exp $exp now " . time . ": $r->{content}");
is($r->{json}{error}{message}, 'the token has expired', '... the token has expired');

my $nbf = int(time) + 2;
my $early = make_jwt({ tenant_id => $tenant, sub => 'carol', role => 'staff', nbf => $nbf, exp => time + 3600 });
$r = $gw->get('/v1/products', token => $early);
is($r->{status}, 401, 'a token before its nbf: 401');
is($r->{json}{error}{message}, 'the token is not valid yet', '... not valid yet');
sleep 0.1 while time <= $nbf + 2;
is($gw->get('/v1/products', token => $early)->{status}, 200, '... after its nbf: 200');
is($gw->get('/v1/products', token => $early)->{status}, 200, '... and again (remembered)');
my $garbage_nbf = make_jwt({ tenant_id => $tenant, sub => 'dan', role => 'staff', nbf => 'soon', exp => time + 3600 });
$r = $gw->get('/v1/products', token => $garbage_nbf);
is($r->{json}{error}{message}, 'the token is not valid yet', 'an nbf that is not a date: not valid yet');
$r = $gw->get('/v1/products', token => $garbage_nbf);
is($r->{status}, 401, '... every time');

# --- bodies ----------------------------------------------------------------
sub post_raw
{
	my ($path, $text) = @_;
	return $gw->post($path, token => $staff, body => $text,
		headers => { 'Content-Type' => 'application/json' });
}
my $plain = qq({"b": [1, true, null, "caf\xc3\xa9", -5], "a": {"x": 123456789012345678, "y": ""}, "c": false});
$r = post_raw('/v1/echo-data', $plain);
is($r->{status}, 200, 'a plain body: 200') or diag($r->{content});
is_deeply($r->{json}, decode_json($plain), '... the database got the same document');
$r = post_raw('/v1/echo-data', q({"t": "caf\u00e9 \"q\" \\\\ \/", "n": -0, "e": 1E2}));
is($r->{status}, 200, 'escapes, -0 and an exponent: 200 (jansson path)') or diag($r->{content});
is_deeply($r->{json}, { t => "caf\x{e9} \"q\" \\ /", n => 0, e => 100 }, '... the same values');
$r = post_raw('/v1/echo-data', '{"r": 0.1}');
like($r->{content}, qr/0\.10000000000000001/, 'a real reaches the database as jansson writes it, as before');
for my $case (
	[ '{"a": 1, "a": 2}', 400, 'malformed_json', 'a duplicate key' ],
	[ '{"ab": 1, "a\u0062": 2}', 400, 'malformed_json', 'a duplicate key spelt with an escape' ],
	[ '{"a": 01}', 400, 'malformed_json', 'a leading zero' ],
	[ '{"a": 1,}', 400, 'malformed_json', 'a trailing comma' ],
	[ "{\"a\": \"\x01\"}", 400, 'malformed_json', 'a control character in a string' ],
	[ "{\"a\": \"\xc3\"}", 400, 'malformed_json', 'invalid UTF-8' ],
	[ '"text"', 400, 'malformed_json', 'a string at the top' ],
	[ '{"a": 1} x', 400, 'malformed_json', 'text after the document' ],
	[ '{"a": 99999999999999999999}', 422, 'amount_overflow', 'an integer beyond int64' ])
{
	my ($text, $status, $code, $what) = @$case;
	$r = post_raw('/v1/echo-data', $text);
	is($r->{status}, $status, "$what: $status");
	is($r->{json}{error}{code}, $code, "... $code");
}
$r = post_raw('/v1/echo-data', '{"a": 1, "a": 2}');
like($r->{json}{error}{details}{reason}, qr/duplicate/, "jansson's reason in details");
$r = post_raw('/v1/echo-fields', '{"a": 7, "b": "x"}');
is($r->{status}, 200, 'a plain body to a route taking fields by name: 200') or diag($r->{content});
is_deeply($r->{json}, { a => 7, b => 'x' }, '... the fields bound');
$r = post_raw('/v1/echo-fields', '{"a": 7, "b": "x", "c": 1}');
is($r->{status}, 400, '... a field it does not take: 400');
is($r->{json}{error}{code}, 'invalid_input', '... invalid_input');
$r = post_raw('/v1/echo-fields', '[1]');
is($r->{json}{error}{code}, 'invalid_parameter', '... an array body: invalid_parameter (missing parameter "a")');

is($gw->stop, 0, 'the gateway stops cleanly');
done_testing();
