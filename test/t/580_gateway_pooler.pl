# test/t/580_gateway_pooler.pl — the gateway behind pgbouncer in
# transaction mode (issue 16): with PGCOMMERCE_POOLER=transaction it sends
# no named prepared statement (none outlives a transaction, none is left
# on a server connection), keeps its LISTEN on the direct connection of
# PGCOMMERCE_LISTEN_DATABASE_URL, and its per-transaction context (tenant,
# actor, the commerce_admin role of platform routes) never leaks to the
# next client of a server connection. Load: 32 parallel clients x
# PGCOMMERCE_LOAD_SECONDS (30) of mixed reads and writes, through the
# pooler and then straight to PostgreSQL: 0 non-2xx answers, and every
# committed write's event is delivered on the event streams. Without
# PGCOMMERCE_POOLER (auto), the pooler is detected on the first connection
# (its backend PID is not the server's) and named statements are never
# used through it (a third, shorter load); a listener connection through
# the pooler is reported by /readyz and logged. Start-up refuses a
# configured pooler without a direct LISTEN connection, and named
# statements behind a pooler.
use strict;
use warnings;
use IPC::Run;
use JSON::PP;
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway gateway_role make_jwt wait_events stream_events);
use PgCommerce::Pgbouncer;

plan skip_all => 'pgbouncer is not installed (scripts/deps.sh installs it)'
  unless PgCommerce::Pgbouncer::binary();

our $seconds = $ENV{PGCOMMERCE_LOAD_SECONDS} // 30;
my $clients = 32;
my $node = commerce_node('gw_pooler');
my $role = gateway_role($node);
$node->safe_psql('postgres', "GRANT commerce_admin TO $role");
my @tenants = map { $node->safe_psql('commerce', "SELECT commerce.create_tenant('t$_', 'T$_', 'EUR')") } 1 .. 2;
$node->safe_psql('commerce', q{
CREATE FUNCTION public.ping(c int, i int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT commerce.emit_event('note.pinged', 'note', commerce.uuid_generate_v7(),
                             jsonb_build_object('c', c, 'i', i));
  SELECT jsonb_build_object('c', c, 'i', i) $$;
CREATE FUNCTION public.whoami() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('tenant', commerce.current_tenant(), 'user', current_user) $$;
SELECT commerce.register_route('POST', '/v1/pings', 'public.ping(int,int)');
CREATE FUNCTION public.admin_whoami() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('user', current_user) $$;
SELECT commerce.register_route('GET', '/v1/whoami', 'public.whoami()');
SELECT commerce.register_route('GET', '/v1/admin-whoami', 'public.admin_whoami()', 200, 'platform_admin');});

my $bouncer = PgCommerce::Pgbouncer->start($node, users => [$role], pool_size => 3);
my $direct = 'host=' . $node->host . ' port=' . $node->port . " dbname=commerce user=$role";
my $pooled = $bouncer->conninfo('commerce', $role);
my $exp = time + 7200;
my %staff = map { ($_ => make_jwt({ tenant_id => $_, sub => 'loader', role => 'staff', exp => $exp })) } @tenants;
my $admin = make_jwt({ sub => 'root', role => 'platform_admin', exp => $exp });

# --- start-up refusals ------------------------------------------------------
sub refused
{
	my (%env) = @_;
	local %ENV = %ENV;
	delete $ENV{$_} for grep { /^PGCOMMERCE_(?!GATEWAY|REPO)/ } keys %ENV;
	%ENV = (%ENV, PGCOMMERCE_JWT_SECRET => $PgCommerce::Gateway::SECRET,
		PGCOMMERCE_LISTEN => '127.0.0.1:' . PostgreSQL::Test::Cluster::get_free_port(), %env);
	my ($out, $err) = ('', '');
	IPC::Run::run([ $ENV{PGCOMMERCE_GATEWAY} ], '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(20));
	return ($? >> 8, $err);
}
my ($code, $err) = refused(PGCOMMERCE_DATABASE_URL => $pooled, PGCOMMERCE_POOLER => 'transaction');
is($code, 1, 'a pooler without PGCOMMERCE_LISTEN_DATABASE_URL refuses to start');
like($err, qr/PGCOMMERCE_LISTEN_DATABASE_URL/, '... naming the variable');
($code, $err) = refused(PGCOMMERCE_DATABASE_URL => $pooled, PGCOMMERCE_POOLER => 'transaction',
	PGCOMMERCE_LISTEN_DATABASE_URL => $direct, PGCOMMERCE_PREPARED_STATEMENTS => 'on');
is($code, 1, 'named prepared statements behind a transaction pooler are refused');
like($err, qr/PGCOMMERCE_PREPARED_STATEMENTS/, '... naming the variable');
($code, $err) = refused(PGCOMMERCE_DATABASE_URL => $pooled, PGCOMMERCE_POOLER => 'session-ish');
is($code, 1, 'an unknown PGCOMMERCE_POOLER is refused');

# --- one load run ------------------------------------------------------------
# Each client process loops for $seconds: a write (POST /v1/pings, which
# emits an event) then reads (GET /v1/whoami, /v1/events, and a platform
# route every 8th round); it records every answer's status and the
# committed writes. Returns (statuses => {code => n}, committed => [c:i]).
sub load
{
	my ($gw, $label) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my @pids;
	my $t_end = time + $seconds;
	for my $c (1 .. $clients)
	{
		my $pid = fork;
		die "fork: $!" unless defined $pid;
		if ($pid == 0)
		{
			my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
			my $tenant = $tenants[ $c % 2 ];
			my $auth = { Authorization => "Bearer $staff{$tenant}" };
			my (%st, @ok, @bad);
			my $i = 0;
			while (time < $t_end)
			{
				$i++;
				my $r = $http->request('POST', $gw->base . '/v1/pings',
					{ headers => { %$auth, 'Content-Type' => 'application/json' },
					  content => encode_json({ c => $c, i => $i }) });
				$st{ $r->{status} }++;
				if ($r->{status} =~ /^2/) { push @ok, "$tenant $c:$i" }
				else { push @bad, "POST $r->{status} $r->{content}" }
				for my $path ('/v1/whoami', '/v1/events?limit=5')
				{
					$r = $http->request('GET', $gw->base . $path, { headers => $auth });
					$st{ $r->{status} }++;
					push @bad, "GET $path $r->{status} $r->{content}" unless $r->{status} =~ /^2/;
					if ($path eq '/v1/whoami' && $r->{status} == 200
						&& decode_json($r->{content})->{tenant} ne $tenant)
					{
						$st{wrong_tenant}++;
					}
				}
				if ($i % 8 == 0)
				{
					$r = $http->request('GET', $gw->base . '/v1/admin-whoami',
						{ headers => { Authorization => "Bearer $admin" } });
					$st{ $r->{status} }++;
					push @bad, "GET /v1/admin-whoami $r->{status} $r->{content}" unless $r->{status} =~ /^2/;
					$st{wrong_role}++ if $r->{status} == 200 && decode_json($r->{content})->{user} ne 'commerce_admin';
				}
			}
			open my $fh, '>', "$dir/$c" or POSIX::_exit(2);
			print $fh encode_json({ st => \%st, ok => \@ok, bad => [ @bad[ 0 .. ($#bad < 4 ? $#bad : 4) ] ] });
			close $fh;
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	waitpid($_, 0) for @pids;
	my (%st, %ok, @bad);
	for my $c (1 .. $clients)
	{
		my $j = decode_json(PostgreSQL::Test::Utils::slurp_file("$dir/$c"));
		$st{$_} += $j->{st}{$_} for keys %{ $j->{st} };
		for (@{ $j->{ok} }) { my ($t, $k) = split / /; push @{ $ok{$t} }, $k }
		push @bad, @{ $j->{bad} };
	}
	note("$label: " . join(', ', map { "$_: $st{$_}" } sort keys %st));
	diag("$label: first failures:\n" . join("\n", @bad[ 0 .. ($#bad < 9 ? $#bad : 9) ])) if @bad;
	return (\%st, \%ok);
}

sub run_mode
{
	my ($label, %env) = @_;
	local $seconds = delete $env{seconds} // $seconds;
	my $gw = start_gateway($node, env => { PGCOMMERCE_POOL_SIZE => 8, PGCOMMERCE_READ_TIMEOUT => 120, %env });
	my $r;
	for (1 .. 100) { $r = $gw->get('/readyz'); last if $r->{status} == 200; sleep 0.1 }
	is($r->{status}, 200, "$label: ready");
	# Streams open once the last event so far is published, and start after it.
	my %streams;
	for my $t (@tenants)
	{
		my $feed;
		for (1 .. 100) { $feed = $gw->get('/v1/events?limit=200', token => $staff{$t}); last if $feed->{status} == 200; sleep 0.1 }
		my $last = 0;
		while (1)
		{
			my @d = @{ $feed->{json}{data} // [] };
			$last = $d[-1]{seq} if @d;
			last unless $feed->{json}{next_cursor};
			$feed = $gw->get("/v1/events?limit=200&after=$feed->{json}{next_cursor}", token => $staff{$t});
		}
		$streams{$t} = $gw->open_stream($staff{$t}, 'Last-Event-ID' => $last);
	}
	sleep 1;
	my ($st, $ok) = load($gw, $label);
	my $non2xx = 0;
	$non2xx += $st->{$_} for grep { !/^2/ } keys %$st;
	my $total = 0;
	$total += $st->{$_} for grep { /^\d+$/ } keys %$st;
	cmp_ok($total, '>', $clients * 3, "$label: $total requests answered");
	is($non2xx, 0, "$label: 0 non-2xx answers");
	is($st->{wrong_tenant} // 0, 0, "$label: every read ran in its own tenant's context");
	is($st->{wrong_role} // 0, 0, "$label: every platform route ran as commerce_admin");
	for my $t (@tenants)
	{
		my @want = @{ $ok->{$t} // [] };
		my @got = wait_events($streams{$t}, scalar @want, 60);
		my %got = map { ("$_->{env}{data}{c}:$_->{env}{data}{i}" => 1) } @got;
		my @missing = grep { !$got{$_} } @want;
		is(scalar @missing, 0, "$label: all " . scalar(@want) . " committed events of a tenant on its stream")
		  or diag('missing: ' . join(' ', @missing[ 0 .. ($#missing < 9 ? $#missing : 9) ]));
		my @seqs = map { $_->{seq} } @got;
		is_deeply(\@seqs, [ sort { $a <=> $b } @seqs ], "$label: in seq order");
		$streams{$t}{h}->kill_kill;
	}
	is($gw->stop, 0, "$label: gateway stops cleanly");
	return $gw;
}

my $gw = run_mode('pgbouncer', PGCOMMERCE_DATABASE_URL => $pooled, PGCOMMERCE_POOLER => 'transaction',
	PGCOMMERCE_LISTEN_DATABASE_URL => $direct);
my @ready = grep { ($_->{msg} // '') eq 'listening' } $gw->log_lines;
is($ready[0]{prepared_statements}, JSON::PP::false, 'pooler mode: prepared statements off by default (logged)');
unlike($bouncer->log, qr/prepared statement .* does not exist|bind message supplies/i,
	'pgbouncer saw no prepared-statement mix-up');

# Whatever a server connection served to the gateway, the next client of it
# finds no context: tenant, actor and role are transaction-local, and no
# prepared statement was left behind.
my @leaks;
for (1 .. 12)
{
	my $row = `psql -XAtq -d "$pooled" -c "SELECT current_user, session_user, coalesce(current_setting('commerce.tenant_id', true), ''), (SELECT count(*) FROM pg_prepared_statements)" 2>&1`;
	chomp $row;
	push @leaks, $row unless $row eq "$role|$role||0";
}
is_deeply(\@leaks, [], 'no role, tenant context or prepared statement left on the pooled server connections');

my $direct_gw = run_mode('direct', PGCOMMERCE_DATABASE_URL => $direct);
my @direct_detected = grep { ($_->{msg} // '') =~ /pooler detected/ } $direct_gw->log_lines;
is(scalar @direct_detected, 0, 'direct: no pooler detected (named statements stay on)');

# auto: the pooler is detected before any named statement goes through it.
$gw = run_mode('pgbouncer, detected', seconds => ($seconds > 10 ? 10 : $seconds),
	PGCOMMERCE_DATABASE_URL => $pooled, PGCOMMERCE_LISTEN_DATABASE_URL => $direct);
my @detected = grep { ($_->{msg} // '') =~ /transaction pooler detected/ } $gw->log_lines;
is(scalar @detected, 1, 'auto: the pooler is detected, logged once');
unlike($bouncer->log, qr/prepared statement .* does not exist|bind message supplies/i,
	'auto: still no prepared-statement mix-up in pgbouncer');

# The listener's connection through the pooler: reported, not silent.
$gw = start_gateway($node, env => { PGCOMMERCE_DATABASE_URL => $pooled });
my $ready;
for (1 .. 100) { $ready = $gw->get('/readyz'); last if ($ready->{json}{checks}{listener} // '') eq 'behind_pooler'; sleep 0.1 }
is($ready->{json}{checks}{listener}, 'behind_pooler', '/readyz says the listener is behind the pooler');
ok(grep({ ($_->{msg} // '') =~ /listener's connection goes through a pooler/ && $_->{level} eq 'error' } $gw->log_lines),
	'... and it is logged as an error');
is($gw->stop, 0, 'gateway stops cleanly');
$bouncer->stop;
done_testing();
