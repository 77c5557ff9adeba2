# test/t/540_gateway_openapi.pl — GET /openapi.json is a valid OpenAPI 3.1
# document (checked with @seriousme/openapi-schema-validator from npm,
# installed under test/openapi by scripts/test.sh), documents every route
# of commerce.routes including one registered while running, and its path
# parameters and security.
use strict;
use warnings;
use IPC::Run;
use JSON::PP;
use Time::HiRes qw(sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);
use PgCommerce::Gateway qw(start_gateway);

my $validator = repo_path('test/openapi/validate.mjs');
ok(-d repo_path('test/openapi/node_modules/@seriousme/openapi-schema-validator'),
	'validator installed from npm') or BAIL_OUT('run scripts/test.sh (it installs the validator)');

my $node = commerce_node('gw_openapi');
$node->safe_psql('commerce', q{
CREATE FUNCTION public.get_thing(id uuid, verbose boolean DEFAULT false) RETURNS jsonb
  LANGUAGE sql AS $$ SELECT jsonb_build_object('id', id) $$;
CREATE FUNCTION public.make_thing(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql AS $$ SELECT data $$;
CREATE FUNCTION public.list_things(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql AS $$ SELECT '{"data": [], "next_cursor": null}'::jsonb $$;
SELECT commerce.register_route('GET', '/v1/things/{id}', 'public.get_thing(uuid,boolean)', 200, 'tenant', 'Read a thing');
SELECT commerce.register_route('POST', '/v1/things', 'public.make_thing(jsonb,text)', 201, 'tenant', 'Make a thing');
SELECT commerce.register_route('GET', '/v1/things', 'public.list_things(int,text)', 200, 'tenant', 'List things');});

# Every core route binds: each {name} of its path is an argument of its
# handler, and every argument without a default can be given by a request.
my $unbound = $node->safe_psql('commerce', q{
  SELECT string_agg(r.method || ' ' || r.path || ' {' || m[1] || '}', ', ')
  FROM commerce.routes r
  JOIN pg_proc p ON p.oid = r.handler::oid
  CROSS JOIN LATERAL regexp_matches(r.path, '\{([a-z_0-9]+)\}', 'g') AS m
  WHERE r.core AND NOT m[1] = ANY (coalesce(p.proargnames, '{}'))});
is($unbound, '', 'every path parameter of every core route is an argument of its handler');
cmp_ok($node->safe_psql('commerce', 'SELECT count(*) FROM commerce.routes WHERE core'), '>=', 50,
	'the core routes of the domain commands are registered');

my $gw = start_gateway($node);
my $doc;
for (1 .. 100) { $doc = $gw->get('/openapi.json')->{json}; last if $doc->{paths}{'/v1/things'}; sleep 0.1 }

sub validate
{
	my ($d) = @_;
	my $file = PostgreSQL::Test::Utils::tempdir() . '/openapi.json';
	open my $fh, '>', $file or die; print $fh encode_json($d); close $fh;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'node', $validator, $file ], '>', \$out, '2>', \$err);
	return ($? >> 8, "$out$err");
}

my ($code, $out) = validate($doc);
is($code, 0, 'the document is valid OpenAPI') or diag($out);
like($out, qr/valid OpenAPI 3\.1/, 'as 3.1');
is($doc->{openapi}, '3.1.0', 'openapi 3.1.0');
is($doc->{info}{version}, '0.1.0', 'info.version is the extension version');
ok($doc->{paths}{'/healthz'}{get}, 'operational endpoints documented');
ok($doc->{paths}{'/v1/events/stream'}{get}, 'event stream documented');
my $get = $doc->{paths}{'/v1/things/{id}'}{get};
ok($get, 'GET /v1/things/{id} documented');
is($get->{summary}, 'Read a thing', 'with its summary');
my ($idp) = grep { $_->{name} eq 'id' } @{ $get->{parameters} };
is($idp->{in}, 'path', 'id is a path parameter');
is($idp->{schema}{format}, 'uuid', 'typed uuid');
my ($vp) = grep { $_->{name} eq 'verbose' } @{ $get->{parameters} };
is($vp->{in}, 'query', 'other arguments are query parameters');
my $post = $doc->{paths}{'/v1/things'}{post};
ok($post->{responses}{201}, 'POST documents its 201');
ok($post->{requestBody}, 'and a JSON body');
# Shared parameters are components: resolve a $ref to what it names.
sub param
{
	my ($p) = @_;
	my ($name) = ($p->{'$ref'} // '') =~ m{^#/components/parameters/(\w+)$};
	return $name ? $doc->{components}{parameters}{$name} : $p;
}
ok((grep { param($_)->{name} eq 'Idempotency-Key' && param($_)->{in} eq 'header' } @{ $post->{parameters} }),
	'and Idempotency-Key');
my $list = $doc->{paths}{'/v1/things'}{get};
my ($limit) = grep { param($_)->{name} eq 'limit' } @{ $list->{parameters} };
ok($limit, 'lists document limit');
is(param($limit)->{in}, 'query', 'as a query parameter');
is(param($limit)->{schema}{maximum}, 200, 'up to 200');
ok($doc->{components}{securitySchemes}{bearer}, 'bearer security scheme');

# A route registered while running shows up.
$node->safe_psql('commerce',
	q{SELECT commerce.register_route('DELETE', '/v1/things/{id}', 'public.get_thing(uuid,boolean)', 200, 'tenant', 'Drop')});
for (1 .. 100) { $doc = $gw->get('/openapi.json')->{json}; last if $doc->{paths}{'/v1/things/{id}'}{delete}; sleep 0.1 }
ok($doc->{paths}{'/v1/things/{id}'}{delete}, 'a new route is documented without a restart');
($code, $out) = validate($doc);
is($code, 0, 'still valid') or diag($out);

is($gw->stop, 0, 'gateway exits 0 on SIGTERM');
$node->stop;
done_testing();
