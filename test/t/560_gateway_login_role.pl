# test/t/560_gateway_login_role.pl — the gateway never serves with
# row-level security bypassed (security issue 11): given a superuser login,
# a BYPASSRLS login, a role set by the connection string that has BYPASSRLS,
# or a login outside commerce_gateway, it refuses to start, before
# listening, with a message saying how to create the right role. A
# connection that later resolves to such a role is refused with a logged
# error (503, never served through). With a proper role it serves, and a
# customer gets 404 for another customer's record, addresses, orders and
# payments while the owner reads them.
use strict;
use warnings;
use IPC::Run;
use HTTP::Tiny;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway gateway_role make_jwt);

my $node = commerce_node('gw_login_role');
my $superuser = $node->safe_psql('postgres', 'SELECT current_user');
$node->safe_psql('postgres', q{
	CREATE ROLE gw_bypass LOGIN BYPASSRLS;
	GRANT commerce_gateway TO gw_bypass;
	CREATE ROLE gw_outsider LOGIN;
	CREATE ROLE bypass_group NOLOGIN BYPASSRLS;
	CREATE ROLE gw_setter LOGIN;
	GRANT commerce_gateway TO gw_setter;
	GRANT bypass_group TO gw_setter;
	CREATE ROLE gw_flip LOGIN;
	GRANT commerce_gateway TO gw_flip;
});

# Run the gateway with conninfo; returns (exit code, stderr, whether
# anything answered on its port). A gateway that starts serving is killed
# after 15 s, which fails the exit-code test.
sub run_refused
{
	my ($conninfo) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	local %ENV = %ENV;
	delete $ENV{$_} for grep { /^PGCOMMERCE_(?!GATEWAY|REPO)/ } keys %ENV;
	$ENV{PGCOMMERCE_DATABASE_URL} = $conninfo;
	$ENV{PGCOMMERCE_LISTEN} = "127.0.0.1:$port";
	$ENV{PGCOMMERCE_JWT_SECRET} = $PgCommerce::Gateway::SECRET;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ $ENV{PGCOMMERCE_GATEWAY} ], '<', \undef, '>', \$out, '2>', \$err,
		IPC::Run::timeout(15));
	my $answered = 0;
	my $deadline = time + 15;
	while ($h->pumpable && time < $deadline)
	{
		$answered ||= HTTP::Tiny->new(timeout => 1)->get("http://127.0.0.1:$port/healthz")->{status} == 200;
		last if $answered;
		eval { $h->pump_nb };
		sleep 0.05;
	}
	$h->signal('TERM') if $answered;
	eval { $h->finish };
	$h->kill_kill if $@;
	return ($h->full_result >> 8, $err, $answered);
}

my $base = 'host=' . $node->host . ' port=' . $node->port . ' dbname=commerce';
my $how = qr/CREATE ROLE pgcommerce_gateway LOGIN PASSWORD '[^']*'; GRANT commerce_gateway TO pgcommerce_gateway;/;
for my $case (
	[ "user=$superuser", qr/database login "\Q$superuser\E" is a superuser/, 'a superuser login' ],
	[ 'user=gw_bypass', qr/database login "gw_bypass" has BYPASSRLS/, 'a BYPASSRLS login' ],
	[ "user=gw_setter options='-c role=bypass_group'",
	  qr/database role "bypass_group" \(set by the connection string\) has BYPASSRLS/,
	  'a BYPASSRLS role set by the connection string' ],
	[ 'user=gw_outsider', qr/database role "gw_outsider" is not a member of commerce_gateway/,
	  'a login outside commerce_gateway' ])
{
	my ($user, $reason, $name) = @$case;
	my ($code, $err, $answered) = run_refused("$base $user");
	isnt($code, 0, "$name: start-up refused (exit $code)");
	ok(!$answered, "$name: nothing listened");
	like($err, qr/refusing to start: $reason/, "$name: the message says why") or diag($err);
	like($err, $how, "$name: and how to create the right role");
	unlike($err, qr/Sanitizer|runtime error:|leak/i, "$name: no sanitizer report");
}

# --- a proper role: it serves, and customers stay apart ---------------------
my $tenant = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('shop', 'Shop', 'EUR')});
my ($ann, $bob, $address, $order, $payment) = split /\|/, $node->safe_psql('commerce', qq{
	BEGIN;
	SELECT commerce.set_context('$tenant', 'staff-1', 'staff') \\gset
	SELECT commerce.create_product('{"title": "Tea", "status": "active"}')->>'id' AS product \\gset
	SELECT commerce.create_variant(:'product', '{"sku": "TEA"}')->>'id' AS variant \\gset
	SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR"}')->>'id' AS list \\gset
	SELECT commerce.set_price(:'list', jsonb_build_object('variant_id', :'variant', 'amount', 500)) \\gset
	SELECT commerce.set_inventory(:'variant', '{"on_hand": 10}') \\gset
	SELECT commerce.create_customer('{"email": "ann\@example.com"}')->>'id' AS ann \\gset
	SELECT commerce.create_customer('{"email": "bob\@example.com"}')->>'id' AS bob \\gset
	SELECT commerce.add_customer_address(:'ann', '{"line1": "1 Main St", "city": "Paris", "country": "FR"}')->>'id'
	  AS address \\gset
	SELECT commerce.create_order(jsonb_build_object('currency', 'EUR', 'customer_id', :'ann',
	  'lines', jsonb_build_array(jsonb_build_object('variant_id', :'variant', 'quantity', 1))))->>'id' AS order \\gset
	SELECT commerce.place_order(:'order') \\gset
	SELECT commerce.authorize_payment(:'order', '{"provider": "manual", "amount": 500}')->>'id' AS payment \\gset
	COMMIT;
	SELECT concat_ws('|', :'ann', :'bob', :'address', :'order', :'payment');
});
ok($payment, 'data made by the commands: two customers, an address, a placed order, a payment');

my $gw = start_gateway($node, user => gateway_role($node));
my $exp = time + 3600;
my $ann_token = make_jwt({ tenant_id => $tenant, sub => $ann, role => 'customer', exp => $exp });
my $bob_token = make_jwt({ tenant_id => $tenant, sub => $bob, role => 'customer', exp => $exp });
my $r;
for (1 .. 100) { $r = $gw->get("/v1/customers/$ann", token => $ann_token); last if $r->{status} != 404; sleep 0.1 }
is($r->{status}, 200, 'the proper role serves: the customer reads its own record') or diag($r->{content});

for my $case (
	[ GET => "/v1/customers/$ann", 'customer record' ],
	[ PATCH => "/v1/customers/$ann/addresses/$address", 'address (update)', { city => 'Lyon' } ],
	[ GET => "/v1/orders/$order", 'order' ],
	[ GET => "/v1/orders/$order/payments", "order's payments" ],
	[ GET => "/v1/payments/$payment", 'payment' ])
{
	my ($method, $path, $what, $body) = @$case;
	my %o = $body ? (body => $body) : ();
	$r = $gw->request($method, $path, token => $bob_token, %o);
	is($r->{status}, 404, "another customer gets 404 for the $what") or diag($r->{content});
	is($r->{json}{error}{code}, 'not_found', "$what: code not_found");
	$r = $gw->request($method, $path, token => $ann_token, %o);
	is($r->{status}, 200, "the owner reads the $what") or diag($r->{content});
}
$r = $gw->request('DELETE', "/v1/customers/$ann/addresses/$address", token => $bob_token);
is($r->{status}, 404, 'another customer gets 404 removing the address');
$r = $gw->get('/v1/orders', token => $bob_token);
is_deeply($r->{json}{data}, [], "another customer's order list is empty");
$r = $gw->get('/v1/customers', token => $bob_token);
is_deeply([ map { $_->{id} } @{ $r->{json}{data} } ], [$bob], 'the customer list shows the customer only');
is($gw->stop, 0, 'gateway exits 0');

# --- a connection that resolves to a superuser later is not served through --
my $flip = start_gateway($node, user => 'gw_flip');
my $ready = 0;
for (1 .. 100)		# ready once its listener has loaded the route table
{
	$ready = $flip->get('/readyz')->{status};
	last if $ready == 200;
	sleep 0.1;
}
is($ready, 200, 'gw_flip serves while it is a plain member of commerce_gateway');
$node->safe_psql('postgres', q{
	ALTER ROLE gw_flip SUPERUSER;
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'gw_flip';});
my $status = 0;
for (1 .. 100)
{
	$status = $flip->get('/readyz')->{status};
	last if $status == 503;
	sleep 0.1;
}
is($status, 503, 'after its login became a superuser, new connections are refused: 503');
is($flip->get('/v1/customers', token => $bob_token)->{status}, 503, 'requests are not served through it');
# The log is written by another thread: give the line a moment to arrive.
my @refused;
for (1 .. 50)
{
	@refused = grep { ($_->{msg} // '') eq 'database login refused' } $flip->log_lines;
	last if @refused;
	sleep 0.1;
}
ok(@refused, 'the refusal is logged');
is($refused[0]{level}, 'error', 'at level error');
like($refused[0]{error} // '', qr/database login "gw_flip" is a superuser/, 'naming the reason');
like($refused[0]{hint} // '', $how, 'and how to fix it');

$node->safe_psql('postgres', 'ALTER ROLE gw_flip NOSUPERUSER');
for (1 .. 100)
{
	$status = $flip->get('/readyz')->{status};
	last if $status == 200;
	sleep 0.1;
}
is($status, 200, 'once the role is fixed the same gateway serves again');
is($flip->stop, 0, 'gateway exits 0');

$node->stop;
done_testing();
