# test/lib/PgCommerce/Pgbouncer.pm — start Debian's pgbouncer in front of a
# PostgreSQL::Test::Cluster node for the gateway's pooler tests: listening
# on loopback only (no Unix socket), trust authentication for the listed
# users, one database entry per name given, the pool mode and server pool
# size asked for. stop() ends it by its pid.
package PgCommerce::Pgbouncer;

use strict;
use warnings;
use IO::Socket::INET;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(time sleep);

sub binary
{
	for my $p ('/usr/sbin/pgbouncer', '/usr/bin/pgbouncer')
	{
		return $p if -x $p;
	}
	return undef;
}

# PgCommerce::Pgbouncer->start($node, dbs => [...], users => [...],
#   pool_mode => 'transaction', pool_size => 3)
sub start
{
	my ($class, $node, %o) = @_;
	my $bin = binary() or die "pgbouncer is not installed (scripts/deps.sh installs it)";
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $self = bless { dir => $dir, port => PostgreSQL::Test::Cluster::get_free_port() }, $class;
	my $users = join '', map { qq{"$_" ""\n} } @{ $o{users} // ['gw'] };
	open my $uf, '>', "$dir/users.txt" or die $!;
	print $uf $users;
	close $uf;
	my $dbs = join '', map { "$_ = host=" . $node->host . ' port=' . $node->port . " dbname=$_\n" }
	  @{ $o{dbs} // ['commerce'] };
	my $mode = $o{pool_mode} // 'transaction';
	my $size = $o{pool_size} // 3;
	open my $cf, '>', "$dir/pgbouncer.ini" or die $!;
	print $cf <<"INI";
[databases]
$dbs
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $self->{port}
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = $mode
default_pool_size = $size
max_client_conn = 500
server_reset_query =
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
	close $cf;
	system($bin, '-d', "$dir/pgbouncer.ini") == 0 or die "pgbouncer did not start: " . $self->log;
	my $deadline = time + 10;
	while (time < $deadline)
	{
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port}, Timeout => 1);
		if ($s) { close $s; return $self }
		sleep 0.1;
	}
	die "pgbouncer does not listen: " . $self->log;
}

sub port { $_[0]{port} }

sub conninfo
{
	my ($self, $db, $user) = @_;
	return "host=127.0.0.1 port=$self->{port} dbname=$db user=$user";
}

sub log
{
	my ($self) = @_;
	my $f = "$self->{dir}/pgbouncer.log";
	return -e $f ? PostgreSQL::Test::Utils::slurp_file($f) : '';
}

sub stop
{
	my ($self) = @_;
	my $f = "$self->{dir}/pgbouncer.pid";
	return unless -e $f;
	my $pid = PostgreSQL::Test::Utils::slurp_file($f);
	chomp $pid;
	kill 'TERM', $pid if $pid =~ /^\d+$/;
	my $deadline = time + 10;
	sleep 0.1 while kill(0, $pid) && time < $deadline;
	return;
}

sub DESTROY { $_[0]->stop }

1;
