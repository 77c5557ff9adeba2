# test/t/620_plugins_tenant_b.pl — issue 14's "enabled for tenant A only:
# tenant B's orders, events and routes behave exactly as without the
# plugin (same suite run for B with and without it installed)". One
# cluster, one gateway. A scripted suite of tenant B's operations over HTTP
# (catalogue, price, stock, customer, draft order, place with an
# Idempotency-Key and its replay, authorize, capture, refund, checkout and
# cancel, a refused order, reads as staff and as the customer, the
# plugin's routes, B's events from /v1/events) is recorded as normalized
# answers (status, Location, replay header, body with ids mapped to
# placeholders in order of first appearance, timestamps and the feed's seq
# replaced) plus the rows it added per table of tenant B (every table with
# a tenant_id column, from the catalogue). Rounds: B twice before the
# plugin exists (a control: the normalization is stable, so a difference
# later is the plugin's), then CREATE EXTENSION loyalty, tenant A enables
# it with a minimum order value of 15.00 (its order.before_place hook
# rejects B's suite's 10.00 order shape), and B's suite again: identical to
# the rounds without it. The same suite run for A before and after must
# differ (the place step is 422 with the plugin's code), so the comparison
# would catch a leak. GET /v1/plugins lists loyalty off for B once
# installed, and no loyalty table holds a row of B.
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('plugins_tenant_b', extra_conf => "pgcommerce.publisher_poll_interval = '200ms'\n");
my $ta = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('iso-a', 'A', 'EUR')});
my $tb = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('iso-b', 'B', 'EUR')});
my $gw = start_gateway($node);
my $exp = time + 3600;
my %staff = (
	a => make_jwt({ tenant_id => $ta, sub => 'alice', role => 'staff', exp => $exp }),
	b => make_jwt({ tenant_id => $tb, sub => 'bob', role => 'staff', exp => $exp }));
my %tenant = (a => $ta, b => $tb);
my $json = JSON::PP->new->canonical->allow_nonref;

# The core routes load in the background at start.
for (1 .. 100) { last if $gw->get('/v1/plugins', token => $staff{b})->{status} == 200; sleep 0.1 }

my $UUID = qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
my $TS = qr/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d(?::?\d\d)?)?/;
# Numbers that differ between rounds by construction: the outbox sequence.
my %volatile = map { $_ => 1 } qw(seq next_cursor);

# norm($round, $value): $value with every uuid replaced by <idN> (N in
# order of first appearance in the round, so references between answers
# keep their shape), the tenant's id by <tenant>, timestamps by <ts>, the
# round's tag (R1, R2, ...) by R#, the outbox seq by <n>, order numbers
# by their offset from the round's first (#+0, #+1).
sub norm
{
	my ($rd, $v, $key) = @_;
	if (ref $v eq 'HASH')
	{
		return { map { $_ => norm($rd, $v->{$_}, $_) } sort keys %$v };
	}
	return [ map { norm($rd, $_) } @$v ] if ref $v eq 'ARRAY';
	return $v if !defined $v || JSON::PP::is_bool($v);
	return '<n>' if defined $key && $volatile{$key};
	# Order numbers count per tenant: kept relative to the round's first.
	return '#+' . ($v - ($rd->{first_number} //= $v)) if defined $key && $key eq 'number' && $v =~ /^\d+$/;
	$v =~ s/($UUID)/id_of($rd, $1)/ge;
	$v =~ s/$TS/<ts>/g;
	$v =~ s/\b[Rr]\d+\b/R#/g;
	return $v;
}

sub id_of
{
	my ($rd, $id) = @_;
	return '<tenant>' if $id eq $rd->{tenant};
	return $rd->{ids}{$id} //= '<id' . (scalar(keys %{ $rd->{ids} }) + 1) . '>';
}

# call($rd, $step, $token, $method, $path, %o): one request, recorded
# normalized; returns the raw response.
sub call
{
	my ($rd, $step, $token, $method, $path, %o) = @_;
	my $r = $gw->request($method, $path, token => $token, %o);
	push @{ $rd->{log} }, {
		step => $step,
		request => norm($rd, "$method $path"),
		status => $r->{status},
		location => norm($rd, $r->{headers}{location}),
		replayed => $r->{headers}{'idempotent-replayed'},
		etag => defined $r->{headers}{etag} ? 'yes' : 'no',
		body => norm($rd, $r->{json} // $r->{content}) };
	return $r;
}

# Rows per table of the tenant (every table with a tenant_id column).
sub table_counts
{
	my ($t) = @_;
	my $tables = $node->safe_psql('commerce', q{
		SELECT string_agg(format('%I.%I', n.nspname, c.relname), ' ' ORDER BY n.nspname, c.relname)
		  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		 WHERE n.nspname = 'commerce' AND c.relkind IN ('r', 'p')});
	my $rows = $node->safe_psql('commerce', join("\nUNION ALL\n",
		map { "SELECT '$_', count(*) FROM $_ WHERE tenant_id = '$t'" } split / /, $tables));
	return { map { split /\|/ } split /\n/, $rows };
}

# Every event of the tenant published: the feed is complete.
sub settle
{
	my ($t) = @_;
	ok($node->poll_query_until('commerce',
			"SELECT count(*) = 0 FROM commerce.outbox WHERE tenant_id = '$t' AND published_at IS NULL"),
		'all events published') or diag('outbox not drained');
}

# suite($who, $round): the scripted operations of one tenant; returns the
# normalized record: answers, events of the round's objects, rows added.
sub suite
{
	my ($who, $n) = @_;
	my $tok = $staff{$who};
	my $rd = { tenant => $tenant{$who}, ids => {}, log => [] };
	my $tag = "R$n";
	my $before = table_counts($tenant{$who});
	my $p = call($rd, 'product', $tok, 'POST', '/v1/products', body => { title => "Mug $tag", status => 'active' })->{json};
	my $v = call($rd, 'variant', $tok, 'POST', "/v1/products/$p->{id}/variants", body => { sku => "MUG-$tag" })->{json};
	call($rd, 'product read', $tok, 'GET', "/v1/products/$p->{id}");
	my $l = call($rd, 'price list', $tok, 'POST', '/v1/price-lists', body => { name => "Retail $tag", currency => 'EUR' })->{json};
	call($rd, 'price', $tok, 'POST', "/v1/price-lists/$l->{id}/prices", body => { variant_id => $v->{id}, amount => 1000 });
	call($rd, 'resolve', $tok, 'GET', "/v1/prices/resolve?variant=$v->{id}&currency=EUR&quantity=1");
	call($rd, 'stock', $tok, 'PUT', "/v1/inventory/$v->{id}", body => { on_hand => 10 });
	my $c = call($rd, 'customer', $tok, 'POST', '/v1/customers', body => { email => "c-$tag\@example.com" })->{json};
	my $cust = make_jwt({ tenant_id => $tenant{$who}, sub => $c->{id}, role => 'customer', exp => $exp });

	# A 10.00 order: under tenant A's minimum once the plugin is on for A.
	my $o = call($rd, 'draft', $tok, 'POST', '/v1/orders', body => {
			currency => 'EUR', customer_id => $c->{id}, lines => [ { variant_id => $v->{id}, quantity => 1 } ] })->{json};
	call($rd, 'place', $tok, 'POST', "/v1/orders/$o->{id}/place", headers => { 'Idempotency-Key' => "place-$tag" });
	call($rd, 'place replay', $tok, 'POST', "/v1/orders/$o->{id}/place", headers => { 'Idempotency-Key' => "place-$tag" });
	call($rd, 'place again', $tok, 'POST', "/v1/orders/$o->{id}/place");
	call($rd, 'stock after place', $tok, 'GET', "/v1/inventory/$v->{id}");
	my $pay = call($rd, 'authorize', $tok, 'POST', "/v1/orders/$o->{id}/payments", body => { provider => 'manual' })->{json};
	call($rd, 'capture', $tok, 'POST', "/v1/payments/$pay->{id}/capture");
	call($rd, 'refund', $tok, 'POST', "/v1/payments/$pay->{id}/refunds", body => { amount => 500, reason => 'damaged' });
	call($rd, 'refund too much', $tok, 'POST', "/v1/payments/$pay->{id}/refunds", body => { amount => 999999 });
	call($rd, 'order read', $tok, 'GET', "/v1/orders/$o->{id}");
	call($rd, 'customer reads its order', $cust, 'GET', "/v1/orders/$o->{id}");

	# Single-request checkout of 2 x 10.00, then cancelled.
	my $co = call($rd, 'checkout', $tok, 'POST', '/v1/checkout', headers => { 'Idempotency-Key' => "co-$tag" },
		body => { currency => 'EUR', customer_id => $c->{id}, lines => [ { variant_id => $v->{id}, quantity => 2 } ] })->{json};
	call($rd, 'cancel', $tok, 'POST', "/v1/orders/$co->{id}/cancel") if $co->{id};
	call($rd, 'stock after cancel', $tok, 'GET', "/v1/inventory/$v->{id}");
	# More than the stock: refused.
	call($rd, 'checkout over stock', $tok, 'POST', '/v1/checkout',
		body => { currency => 'EUR', lines => [ { variant_id => $v->{id}, quantity => 50 } ] });
	call($rd, 'orders list', $tok, 'GET', "/v1/orders?customer_id=$c->{id}");

	# The plugin's routes: absent (no plugin) or not enabled; the same answer.
	call($rd, 'loyalty account', $tok, 'GET', "/v1/customers/$c->{id}/loyalty");
	call($rd, 'loyalty account (customer)', $cust, 'GET', "/v1/customers/$c->{id}/loyalty");
	call($rd, 'loyalty settings', $tok, 'PUT', '/v1/loyalty/settings', body => { min_order_value => 5 });
	call($rd, 'loyalty settings, junk body', $tok, 'PUT', '/v1/loyalty/settings', body => '{not json',
		headers => { 'Content-Type' => 'application/json' });
	call($rd, 'loyalty settings, other method', $tok, 'GET', '/v1/loyalty/settings');
	call($rd, 'loyalty account, other method', $tok, 'DELETE', "/v1/customers/$c->{id}/loyalty");
	call($rd, 'loyalty account, bad id', $tok, 'GET', '/v1/customers/not-a-uuid/loyalty');

	# The events of this round's objects, from the feed.
	settle($tenant{$who});
	my @events;
	my $cursor = 0;
	while (defined $cursor)
	{
		my $f = $gw->get("/v1/events?after=$cursor&limit=200", token => $tok)->{json};
		push @events, @{ $f->{data} // [] };
		$cursor = $f->{next_cursor};
	}
	my %mine = %{ $rd->{ids} };
	my @round_events = map { norm($rd, $_) } grep { $mine{ $_->{aggregate_id} // '' } } @events;
	ok(!grep({ ($_->{tenant_id} // '') ne $tenant{$who} } @events), "$who $tag: the feed holds only the tenant's events");

	my $after = table_counts($tenant{$who});
	my %added = map { $_ => $after->{$_} - ($before->{$_} // 0) } keys %$after;
	return { log => $rd->{log}, events => \@round_events, rows => \%added };
}

# plugin_step($entry): an answer of a route of the plugin itself.
sub plugin_step { return $_[0]{step} =~ /^loyalty/ }

# compare($x, $y, $name, %o): identical records (only => CODE: the answers
# CODE selects, and events and rows unless answers_only); on a difference,
# every differing answer.
sub compare
{
	my ($x, $y, $name, %o) = @_;
	my $only = $o{only} // sub { 1 };
	my @lx = grep { $only->($_) } @{ $x->{log} };
	my @ly = grep { $only->($_) } @{ $y->{log} };
	for my $part ($o{answers_only} ? ('log') : qw(log events rows))
	{
		my ($ex, $ey) = $part eq 'log' ? ($json->encode(\@lx), $json->encode(\@ly))
		  : ($json->encode($x->{$part}), $json->encode($y->{$part}));
		next if $ex eq $ey;
		fail("$name: $part");
		if ($part eq 'log')
		{
			for my $i (0 .. $#lx)
			{
				my ($a1, $b1) = map { $json->encode($_) } $lx[$i], $ly[$i];
				diag("difference:\n$a1\n$b1") if $a1 ne $b1;
			}
		}
		else { diag("$ex\n$ey") }
		return 0;
	}
	pass($name);
	return 1;
}

# Warm-up (a tenant's first order creates its order counter, say); not compared.
suite('b', 0);
suite('a', 0);
# Before the plugin exists: B twice (the control) and A once.
my $b1 = suite('b', 1);
my $b2 = suite('b', 2);
my $a1 = suite('a', 1);
compare($b1, $b2, 'control: B without the plugin, twice: the same normalized answers, events and rows');
cmp_ok(scalar @{ $b1->{log} }, '>=', 25, scalar(@{ $b1->{log} }) . ' answers recorded per round');
ok((grep { $_->{type} eq 'payment.refunded' } @{ $b1->{events} }), 'the recorded events reach payment.refunded')
	or diag($json->encode($b1->{events}));
is_deeply($gw->get('/v1/plugins', token => $staff{b})->{json}{data}, [], 'B: GET /v1/plugins lists none');

# CREATE EXTENSION on the running gateway; A enables it and sets a minimum
# order value of 15.00 (its order.before_place hook rejects 10.00).
$node->safe_psql('commerce', 'CREATE EXTENSION loyalty');
my $r;
for (1 .. 100)
{
	$r = $gw->post('/v1/plugins/loyalty/enable', token => $staff{a});
	last if $r->{status} == 200;
	sleep 0.1;
}
is($r->{status}, 200, 'A enables loyalty over HTTP');
for (1 .. 100)
{
	$r = $gw->request('PUT', '/v1/loyalty/settings', token => $staff{a}, body => { min_order_value => 1500 });
	last if $r->{status} == 200;
	sleep 0.1;
}
is($r->{status}, 200, 'A: minimum order value 15.00') or diag($r->{content});
is($node->safe_psql('commerce', q{SELECT count(*) FROM commerce.hooks WHERE point = 'order.before_place'}), 1,
	'the plugin registered its order.before_place hook');
$r = $gw->get('/v1/plugins', token => $staff{b});
is_deeply([ map { "$_->{name}:" . ($_->{enabled} ? 1 : 0) } @{ $r->{json}{data} } ], ['loyalty:0'],
	'B: GET /v1/plugins lists loyalty, off');
is_deeply([ map { "$_->{name}:" . ($_->{enabled} ? 1 : 0) } @{ $gw->get('/v1/plugins', token => $staff{a})->{json}{data} } ],
	['loyalty:1'], 'A: GET /v1/plugins lists loyalty, on');

# With the plugin installed and on for A: B's suite, then A's.
my $b3 = suite('b', 3);
my $a3 = suite('a', 3);
compare($b2, $b3, 'B with the plugin installed and enabled for A only: the same normalized answers '
	  . '(core routes), events and rows as without it', only => sub { !plugin_step($_[0]) });
compare($b1, $b3, 'and the same as the first round without it', only => sub { !plugin_step($_[0]) });
# The plugin's own routes, for B: the very answers of absent routes (404
# route_not_found), also for a junk body, a bad path id and another
# method: the gateway asks commerce.plugin_enabled after authentication,
# before parsing or binding, and a 405's Allow leaves the plugin out.
is($_->{status}, 404, "B, the plugin's route ($_->{step}, before install): 404")
	for grep { plugin_step($_) } @{ $b1->{log} };
is($_->{status}, 404, "B, the plugin's route ($_->{step}, installed, not enabled): 404")
	for grep { plugin_step($_) } @{ $b3->{log} };
compare($b1, $b3, "B: the plugin's routes answer exactly as before it was installed", only => \&plugin_step,
	answers_only => 1);

# The comparison sees a plugin at work: A's answers changed.
my $ea1 = $json->encode($a1);
my $ea3 = $json->encode($a3);
isnt($ea3, $ea1, "A's suite with the plugin differs from A's without it (the comparison catches a change)");
compare($a1, $b1, "A's and B's suites without the plugin agree (the suite does not depend on the tenant)");
my ($place_a) = grep { $_->{step} eq 'place' } @{ $a3->{log} };
is($place_a->{status}, 422, "A: placing 10.00 under its minimum is 422");
is($place_a->{body}{error}{code}, 'loyalty_below_minimum_order', "with the plugin's code");
my ($place_b) = grep { $_->{step} eq 'place' } @{ $b3->{log} };
is($place_b->{status}, 200, 'B: the same order is placed');
is($place_b->{body}{total}, 1000, 'B: total 10.00, no adjustment');

# Nothing of B in the plugin's own tables (read past RLS as the superuser),
# no delivery of B to the plugin, no hook-made adjustment on B's orders.
my $loy = $node->safe_psql('commerce', qq{
	SELECT string_agg(format('SELECT %L, count(*) FROM %I.%I WHERE tenant_id = %L', c.relname, n.nspname, c.relname, '$tb'),
	                  ' UNION ALL ' ORDER BY c.relname)
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE n.nspname = 'loyalty' AND c.relkind IN ('r', 'p')});
ok($loy, 'the plugin has tables');
is($node->safe_psql('commerce', "SELECT string_agg(x.c::text, ',') FROM ($loy) x(t, c) WHERE x.c > 0"), '',
	"no row of B in any of the plugin's tables");
is($node->safe_psql('commerce', qq{
	SELECT count(*) FROM commerce.deliveries d JOIN commerce.subscriptions s ON s.id = d.subscription_id
	 WHERE s.plugin = 'loyalty' AND d.tenant_id = '$tb'}), 0, 'no delivery of B to the plugin');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.order_adjustments WHERE tenant_id = '$tb'"), 0,
	'no adjustment on B\'s orders');

is($gw->stop, 0, 'gateway exits 0 on SIGTERM');
$node->stop;
done_testing();
