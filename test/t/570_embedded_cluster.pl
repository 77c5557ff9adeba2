# test/t/570_embedded_cluster.pl — `make run`'s embedded cluster accepts no
# password-less login from other local users (security issue 11): started
# by the project's own scripts (scripts/run.sh, scripts/cluster.sh), it has
# no TCP listener (a TCP login is refused), its socket and the socket's
# directory are mode 0700, and pg_hba.conf has no line but the local one
# behind that directory. run.sh's gateway still serves through the socket,
# as a login role RLS binds; SIGINT to the foreground process group (what
# Ctrl-C sends) stops gateway and cluster and leaves no process. A cluster
# made by the older TCP/trust configuration is closed at its next start.
use strict;
use warnings;
use IPC::Run;
use HTTP::Tiny;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(repo_path);

my $pgdata = PostgreSQL::Test::Utils::tempdir() . '/pgdata';
my $pgport = PostgreSQL::Test::Cluster::get_free_port();
my $http_port = PostgreSQL::Test::Cluster::get_free_port();
my $sockdir = "$pgdata/socket";
my $datadir = "$pgdata/data";

local %ENV = %ENV;
delete $ENV{$_} for grep { /^(PGCOMMERCE_(?!REPO)|PG(HOST|PORT|USER|DATABASE)$)/ } keys %ENV;
$ENV{PGCOMMERCE_PGDATA} = $pgdata;
$ENV{PGCOMMERCE_PGPORT} = $pgport;
$ENV{PGCOMMERCE_LISTEN} = "127.0.0.1:$http_port";

sub mode_of { my ($path) = @_; my @st = stat($path) or return -1; return $st[2] & 07777 }
# Running (a zombie waiting for a parent outside this test to reap it is
# gone for our purpose).
sub alive
{
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return 0;
	my $stat = <$fh>;
	return $stat !~ /\) [ZX] /;
}

# --- make run, in its own process group as a terminal would run it --------
my ($out, $err) = ('', '');
my $run = IPC::Run::start([ 'setsid', 'bash', repo_path('scripts/run.sh') ],
	'<', \undef, '>', \$out, '2>', \$err);
my $run_pid = $run->{KIDS}[0]{PID};
my $http = HTTP::Tiny->new(timeout => 5);
my $ready;
my $deadline = time + 120;
while (time < $deadline)
{
	eval { $run->pump_nb };
	last unless $run->pumpable;
	$ready = $http->get("http://127.0.0.1:$http_port/readyz");
	last if $ready->{status} == 200;
	sleep 0.2;
}
is($ready->{status}, 200, "make run's gateway answers /readyz") or diag("stdout:\n$out\nstderr:\n$err");
my ($token) = $out =~ /export TOKEN=(\S+)/;
ok($token, 'run.sh printed a demo token');
my $products = $http->get("http://127.0.0.1:$http_port/v1/products",
	{ headers => { Authorization => "Bearer " . ($token // '') } });
is($products->{status}, 200, 'and serves the demo catalog with it') or diag($products->{content});

# --- nobody else gets in ----------------------------------------------------
my $socket = "$sockdir/.s.PGSQL.$pgport";
ok(-S $socket, 'the cluster listens on a socket inside its directory');
is(sprintf('%o', mode_of($sockdir)), '700', 'the socket directory is mode 0700');
is(sprintf('%o', mode_of($socket)), '700', 'the socket is mode 0700');
is(sprintf('%o', mode_of($datadir)), '700', 'the data directory is mode 0700');

my ($psql_out, $psql_err) = ('', '');
IPC::Run::run([ 'psql', '-X', '-w', '-h', '127.0.0.1', '-p', $pgport, '-U', 'postgres', '-d', 'postgres',
	'-c', 'SELECT 1' ], '<', \undef, '>', \$psql_out, '2>', \$psql_err, IPC::Run::timeout(20));
isnt($? >> 8, 0, 'a password-less TCP login on 127.0.0.1 fails');
like($psql_err, qr/Connection refused/, 'because nothing listens on TCP');
my $settings = `psql -X -At -h $sockdir -p $pgport -U postgres -d postgres -c "SELECT current_setting('listen_addresses') || '|' || current_setting('unix_socket_permissions')"`;
chomp $settings;
is($settings, '|0700', "listen_addresses is '' and unix_socket_permissions 0700");
my $gateway_role = `psql -X -At -h $sockdir -p $pgport -U postgres -d pgcommerce -c "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'pgcommerce_gateway'"`;
chomp $gateway_role;
is($gateway_role, 'f', 'the gateway logs in as pgcommerce_gateway, neither superuser nor BYPASSRLS');

sub hba_rules
{
	my @rules;
	for (split /\n/, slurp_file("$datadir/pg_hba.conf"))
	{
		s/#.*//;
		push @rules, [ split ' ' ] if /\S/;
	}
	return @rules;
}
my @rules = hba_rules();
ok(@rules, 'pg_hba.conf has rules');
is_deeply([ grep { $_->[0] ne 'local' } @rules ], [], 'no host line at all in pg_hba.conf');
is_deeply([ grep { $_->[0] ne 'local' && $_->[-1] eq 'trust' } @rules ], [],
	'so every trust line is behind the 0700 socket directory');

my ($postmaster) = split /\n/, slurp_file("$datadir/postmaster.pid");
ok(alive($postmaster), "the cluster's postmaster runs (pid $postmaster)");

# --- Ctrl-C ---------------------------------------------------------------
kill 'INT', -$run_pid;
eval { $run->finish(IPC::Run::timeout(90)) };
if ($@) { $run->kill_kill; fail("run.sh ends after SIGINT: $@") }
is($run->full_result >> 8, 0, 'SIGINT: run.sh exits 0') or diag("stderr:\n$err");
like($out, qr/"msg":"stopped"/, 'the gateway stopped cleanly');
# (a process of the machine may exit between the glob and the read: skip it)
my @left = grep { alive($_) } map { m{/proc/(\d+)/stat} ? $1 : () } grep {
	my $stat = eval { slurp_file($_) } // '';
	my $pgrp = (split ' ', ($stat =~ s/.*\) //sr))[2] // -1; $pgrp == $run_pid
} glob('/proc/[0-9]*/stat');
is_deeply(\@left, [], 'no process of its group is left');
ok(!alive($postmaster), 'the postmaster is gone');
ok(!-e "$datadir/postmaster.pid", 'the cluster shut down cleanly (no postmaster.pid)');
is($http->get("http://127.0.0.1:$http_port/healthz")->{status}, 599, 'nothing listens on the HTTP port');

# --- a cluster made by the older TCP/trust script is closed at next start --
append_to_file("$datadir/postgresql.conf", "listen_addresses = '127.0.0.1'\n");
append_to_file("$datadir/pg_hba.conf", "host all all 127.0.0.1/32 trust\n");
chmod 0755, $sockdir;
IPC::Run::run([ 'bash', repo_path('scripts/cluster.sh'), 'start' ], '<', \undef, '>', \$out, '2>', \$err)
  or diag($err);
$settings = `psql -X -At -h $sockdir -p $pgport -U postgres -d postgres -c "SELECT current_setting('listen_addresses')"`;
chomp $settings;
is($settings, '', "an old cluster's TCP listener is gone after cluster.sh start");
is_deeply([ grep { $_->[0] ne 'local' } hba_rules() ], [], 'and its host trust line');
is(sprintf('%o', mode_of($sockdir)), '700', 'and its socket directory is 0700 again');
IPC::Run::run([ 'bash', repo_path('scripts/cluster.sh'), 'stop' ], '<', \undef, '>', \$out, '2>', \$err);
ok(!-e "$datadir/postmaster.pid", 'cluster.sh stop stops it');

done_testing();
