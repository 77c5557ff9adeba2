# test/t/545_openapi_typed_client.pl — /openapi.json is good enough for
# tools nobody here wrote (npm packages pinned in test/openapi/package.json,
# installed by scripts/test.sh with `npm ci`):
#   - two independent linters under their recommended rules: Redocly CLI
#     (recommended) and Spectral (spectral:oas): 0 errors, 0 warnings;
#   - openapi-typescript generates a client that strict tsc compiles, with
#     test/openapi/client/flow.ts: a storefront flow (catalog, stock, a
#     customer's cart placed and paid, events, then every other core
#     operation once, a registered plugin turned on and off included) and
#     calls tsc must refuse;
#   - the flow runs against a real gateway, then through Prism's validating
#     proxy (--errors) with 0 request or response violations, while Prism
#     refuses a wrong body and flags an answer that breaks its schema;
#   - a plugin's route brings its own schemas (commerce.describe_schema,
#     commerce.describe_route) and is served without a restart.
use strict;
use warnings;
use File::Copy qw(copy);
use HTTP::Tiny;
use IO::Socket::INET;
use IPC::Run;
use JSON::PP;
use Time::HiRes qw(sleep time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $dir = repo_path('test/openapi');
my $mods = "$dir/node_modules";
if (system('command -v node >/dev/null 2>&1') != 0)
{
	# CI always has Node.js and npm (scripts/deps.sh installs them).
	BAIL_OUT('node is missing on CI: scripts/deps.sh installs npm') if $ENV{CI};
	plan skip_all => 'node/npm are not installed: the typed-client, lint and proxy checks need them (scripts/deps.sh installs npm)';
}
for my $tool ('.bin/redocly', '.bin/spectral', '.bin/prism', '.bin/openapi-typescript', '.bin/tsc', 'openapi-fetch')
{
	-e "$mods/$tool" or BAIL_OUT("$mods/$tool missing: run scripts/test.sh (it runs npm ci in test/openapi)");
}
$ENV{REDOCLY_TELEMETRY} = 'off';
$ENV{NO_UPDATE_NOTIFIER} = '1';
$ENV{HOME} = PostgreSQL::Test::Utils::tempdir();	# tools' caches, not the user's

my $node = commerce_node('gw_openapi_client');
my $tenant = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('typed', 'Typed', 'EUR')});
# The flow lists the plugins and turns one on and off: a plugin of no parts,
# registered by the platform administrator.
$node->safe_psql('commerce', q{SET ROLE commerce_admin;
SELECT commerce.register_plugin('typed_flow', 'No routes nor hooks: the typed flow turns it on and off');});
# Platform routes (POST /v1/tenants...) need the gateway's role in commerce_admin.
$node->safe_psql('commerce', 'GRANT commerce_admin TO ' . PgCommerce::Gateway::gateway_role($node));
my $gw = start_gateway($node);
for (1 .. 300) { last if $gw->get('/readyz')->{status} == 200; sleep 0.1 }
my $work = PostgreSQL::Test::Utils::tempdir();

sub run_cmd
{
	my ($cmd, %env) = @_;
	my ($out, $err) = ('', '');
	local @ENV{ keys %env } = values %env;
	IPC::Run::run($cmd, '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(300));
	return ($? >> 8, $out, $err);
}

sub fetch_doc
{
	my ($file) = @_;
	my $r = $gw->get('/openapi.json');
	is($r->{status}, 200, "GET /openapi.json ($file)");
	open my $fh, '>', "$work/$file" or die;
	print $fh $r->{content};
	close $fh;
	return decode_json($r->{content});
}

# --- the document and two linters ------------------------------------------
my $doc = fetch_doc('openapi.json');
my ($code, $out, $err) = run_cmd([ 'node', "$dir/validate.mjs", "$work/openapi.json" ]);
is($code, 0, 'valid OpenAPI 3.1 (JSON Schema of the specification)') or diag("$out$err");

($code, $out, $err) = run_cmd([ "$mods/.bin/redocly", 'lint', '--config', "$dir/redocly.yaml",
	'--format=json', "$work/openapi.json" ]);
my $redocly = eval { decode_json($out) } // {};
is($redocly->{totals}{errors}, 0, 'Redocly CLI, recommended rules: 0 errors') or diag("$out$err");
is($redocly->{totals}{warnings}, 0, 'Redocly CLI, recommended rules: 0 warnings')
	or diag(join "\n", map { "$_->{ruleId}: $_->{message}" } @{ $redocly->{problems} // [] });

($code, $out, $err) = run_cmd([ "$mods/.bin/spectral", 'lint', '-r', "$dir/.spectral.yaml", '-f', 'json',
	'-o', "$work/spectral.json", '--fail-severity', 'warn', "$work/openapi.json" ]);
my $spectral = eval { decode_json(PostgreSQL::Test::Utils::slurp_file("$work/spectral.json")) } // [ { severity => 0, message => "no output: $out$err" } ];
is(scalar(grep { $_->{severity} == 0 } @$spectral), 0, 'Spectral, spectral:oas: 0 errors');
is(scalar(grep { $_->{severity} == 1 } @$spectral), 0, 'Spectral, spectral:oas: 0 warnings')
	or diag(join "\n", map { "$_->{code}: $_->{message} at " . join('.', @{ $_->{path} }) } @$spectral);
is($code, 0, 'spectral exits 0 with --fail-severity warn');

# What the linters cannot see: the document says what the commands do.
my $op = $doc->{paths}{'/v1/orders/{id}/place'}{post};
is($op->{operationId}, 'placeOrder', 'operationId from the command name');
is_deeply($op->{tags}, ['Orders'], 'tagged by area');
is($op->{responses}{200}{content}{'application/json'}{schema}{'$ref'}, '#/components/schemas/Order', 'answers an Order');
ok($op->{responses}{200}{headers}{$_}, "declares $_") for ('ETag', 'Idempotent-Replayed', 'X-Request-Id');
is($op->{responses}{409}{content}{'application/json'}{schema}{'$ref'}, '#/components/schemas/Error', '409 with the Error schema');
like($op->{responses}{409}{description}, qr/insufficient_stock/, 'naming the command\'s own conflicts');
is_deeply([ sort @{ $doc->{components}{schemas}{OrderStatus}{enum} } ],
	[ sort qw(draft placed paid fulfilled cancelled refunded) ], 'order status is an enum');
is($doc->{components}{schemas}{MinorUnits}{type}, 'integer', 'money is integer minor units');
is($doc->{components}{schemas}{Price}{properties}{currency}{'$ref'}, '#/components/schemas/Currency', 'with its currency');
ok($doc->{paths}{'/v1/products/{product_id}/variants'}{post}{responses}{201}{headers}{Location}, '201 declares Location');
ok((grep { ($_->{'$ref'} // '') eq '#/components/parameters/After' } @{ $doc->{paths}{'/v1/events'}{get}{parameters} }),
	'/v1/events takes ?after=');
like($doc->{servers}[0]{variables}{host}{default}, qr/^127\.0\.0\.1:\d+$/, 'servers: the address the client used');
# servers comes from the request: a junk Host never reaches the document.
sub raw_servers
{
	my (@headers) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Timeout => 10) or die $!;
	print $sock join("\r\n", 'GET /openapi.json HTTP/1.1', @headers, 'Connection: close', '', '');
	local $/;
	my $answer = <$sock>;
	my ($body) = $answer =~ /\r\n\r\n(.*)\z/s;
	return eval { decode_json($body)->{servers}[0] } // { error => substr($answer, 0, 300) };
}
my $srv = raw_servers('Host: shop.example:8443', 'X-Forwarded-Proto: https');
is($srv->{variables}{host}{default}, 'shop.example:8443', 'servers: the Host the client sent');
is($srv->{variables}{scheme}{default}, 'https', 'and https behind X-Forwarded-Proto: https');
$srv = raw_servers('Host: evil.example/"><script>', 'X-Forwarded-Proto: javascript');
is($srv->{variables}{host}{default}, '127.0.0.1:' . $gw->port, 'a junk Host falls back to the listen address');
is($srv->{variables}{scheme}{default}, 'http', 'and any other X-Forwarded-Proto to http');

my @ops = map { values %$_ } values %{ $doc->{paths} };
is(scalar(grep { $_->{operationId} !~ /^[a-z][A-Za-z0-9]*$/ } @ops), 0, 'every operationId is URL-safe camelCase');
is(scalar(grep { !$_->{requestBody} && $_->{operationId} =~ /^(create|update|set)/ } @ops), 0,
	'every create/update/set operation has a body');
is(scalar(grep { my $b = $_->{requestBody}; $b && !$b->{content}{'application/json'}{schema}{'$ref'} } @ops), 0,
	'every core request body is a named schema');

# --- a typed client, strict tsc ------------------------------------------------
copy("$dir/client/$_", "$work/$_") or die "copy $_: $!" for ('flow.ts', 'tsconfig.json');
symlink($mods, "$work/node_modules") or die "symlink: $!";
($code, $out, $err) = run_cmd([ "$mods/.bin/openapi-typescript", "$work/openapi.json", '-o', "$work/api.ts" ]);
is($code, 0, 'openapi-typescript generates the client types') or diag("$out$err");
my $t0 = time;
($code, $out, $err) = run_cmd([ "$mods/.bin/tsc", '-p', "$work/tsconfig.json" ]);
is($code, 0, 'strict tsc compiles the flow against them (and refuses what it must)') or diag("$out$err");
note(sprintf('tsc: %.1f s', time - $t0));

my %flow_env = (JWT_SECRET => $PgCommerce::Gateway::SECRET, TENANT_ID => $tenant);
($code, $out, $err) = run_cmd([ 'node', "$work/out/flow.js" ], %flow_env, BASE_URL => $gw->base, RUN => 'direct');
is($code, 0, 'the flow runs against the gateway') or diag("$out$err");
like($out, qr/^flow ok$/m, 'every step as documented');

# --- through Prism's validating proxy ----------------------------------------
sub start_prism
{
	my ($file) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $log = "$work/prism-$port.log";
	my $h = IPC::Run::start([ "$mods/.bin/prism", 'proxy', "$work/$file", $gw->base, '--errors',
		'--host', '127.0.0.1', '--port', $port ], '<', \undef, '>', $log, '2>&1');
	my $http = HTTP::Tiny->new(timeout => 10);
	my $deadline = time + 60;
	while (time < $deadline)
	{
		last if $http->get("http://127.0.0.1:$port/healthz")->{status} == 200;
		sleep 0.2;
	}
	return ($h, "http://127.0.0.1:$port", $log);
}

my ($prism, $proxy, $plog) = start_prism('openapi.json');
($code, $out, $err) = run_cmd([ 'node', "$work/out/flow.js" ], %flow_env, BASE_URL => $proxy, RUN => 'proxied');
is($code, 0, 'the flow runs through prism proxy --errors') or diag("$out$err");
like($out, qr/^flow ok$/m, 'every step as documented');
my $log = PostgreSQL::Test::Utils::slurp_file($plog);
my @violations = grep { /violation|not valid|✖/i } split /\n/, $log;
is(scalar(@violations), 0, '0 request or response violations') or diag(join "\n", @violations);
like($log, qr{post /v1/orders/[0-9a-f-]+/place}, 'prism saw the flow');

# Every operation of the document met a real answer in the flow, so every
# schema was checked against one (the stream, metrics and readiness aside).
my %answered = map { ("$_->{method} $_->{route}" => 1) } grep { ($_->{status} // 500) < 400 } $gw->log_lines;
my @unexercised = grep { !$answered{$_} && !m{^GET /(metrics|readyz|v1/events/stream)$} }
  map { my $p = $_; map { uc($_) . " $p" } keys %{ $doc->{paths}{$p} } } sort keys %{ $doc->{paths} };
is(join(', ', @unexercised), '', 'the flow answered every other operation of the document with a 2xx');
cmp_ok(scalar(keys %answered), '>=', 60, 'at least 60 operations');

my $staff = make_jwt({ tenant_id => $tenant, sub => 'staff', role => 'staff', exp => time + 600 });
my $http = HTTP::Tiny->new(timeout => 10);
my $bad = $http->request('POST', "$proxy/v1/products", { content => '{"title": 5}',
	headers => { 'Content-Type' => 'application/json', Authorization => "Bearer $staff" } });
is($bad->{status}, 422, 'prism refuses {"title": 5}');
like($bad->{content}, qr/title must be string/, '... naming the field');
$bad = $http->request('POST', "$proxy/v1/customers", { content => '{"email": "x@example.com", "nickname": "x"}',
	headers => { 'Content-Type' => 'application/json', Authorization => "Bearer $staff" } });
is($bad->{status}, 422, 'and a field the command does not take');
$prism->signal('TERM');
$prism->finish;

# --- a plugin's route brings its own schemas ---------------------------------
$node->safe_psql('commerce', q{
CREATE FUNCTION public.get_thing(id uuid) RETURNS jsonb
  LANGUAGE sql AS $$ SELECT jsonb_build_object('id', id, 'name', 'seven') $$;
SELECT commerce.register_route('GET', '/v1/things/{id}', 'public.get_thing(uuid)', 200, 'tenant', 'Read a thing');
-- says name is an integer: the proxy must catch the answer
SELECT commerce.describe_schema('Thing', '{"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "integer"}}}');
SELECT commerce.describe_route('GET', '/v1/things/{id}', 'getThing', 'Things', NULL,
  '{"$ref": "#/components/schemas/Thing"}', '{"410": "The thing is gone"}');});
my $doc2;
for (1 .. 100)
{
	$doc2 = decode_json($gw->get('/openapi.json')->{content});
	last if $doc2->{paths}{'/v1/things/{id}'};
	sleep 0.1;
}
my $thing = $doc2->{paths}{'/v1/things/{id}'}{get};
is($thing->{operationId}, 'getThing', 'the plugin route is documented without a restart');
is($thing->{responses}{200}{content}{'application/json'}{schema}{'$ref'}, '#/components/schemas/Thing', 'with its schema');
is($doc2->{components}{schemas}{Thing}{properties}{name}{type}, 'integer', 'which is served as a component');
like($thing->{responses}{410}{description}, qr/gone/, 'and its own error answer');
ok((grep { $_->{name} eq 'Things' } @{ $doc2->{tags} }), 'and its tag');
fetch_doc('openapi2.json');
($prism, $proxy, $plog) = start_prism('openapi2.json');
my $r = $http->get("$proxy/v1/things/" . $node->safe_psql('commerce', 'SELECT commerce.uuid_generate_v7()'),
	{ headers => { Authorization => "Bearer $staff" } });
is($r->{status}, 500, 'prism flags an answer that breaks its schema');
like($r->{headers}{'sl-violations'} // '', qr/name must be integer/, '... naming the property');
$prism->signal('TERM');
$prism->finish;

# A document dropped with its route.
$node->safe_psql('commerce', q{SELECT commerce.unregister_route('GET', '/v1/things/{id}')});
is($node->safe_psql('commerce', q{SELECT count(*) FROM commerce.route_docs WHERE path = '/v1/things/{id}'}), '0',
	'a route\'s document goes with it');

is($gw->stop, 0, 'gateway exits 0 on SIGTERM');
$node->stop;
done_testing();
