# test/lib/PgCommerce/Test.pm — shared set-up for the TAP suites: a
# PostgreSQL::Test::Cluster node with pgcommerce preloaded and the extension
# created, and small helpers the suites repeat.
#
# Speed (docs/testing.md, "TAP suite run time"): initdb and CREATE EXTENSION
# pgcommerce run once per `prove` run, not once per node. The first
# commerce_node of a run builds two template data directories under
# tmp_check (a bare initdb, and one whose database `commerce` holds the
# extension, both with the base settings below), under a lock so that files
# run in parallel build them once; every node then starts from a copy (`cp
# -a`, as init_from_backup does) with its own port and socket. The templates
# are keyed by the installation under test (postgres, pgcommerce.so, the
# install script; size and mtime) and the base settings, so a rebuilt
# extension gets new ones. PGCOMMERCE_TEST_TEMPLATE=0 (or template => 0)
# goes back to initdb + CREATE EXTENSION for every node.
package PgCommerce::Test;

use strict;
use warnings;
use Exporter 'import';
use Fcntl qw(:flock);
use File::Path qw(rmtree);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More ();

our @EXPORT_OK = qw(commerce_node repo_path run_pgbench);

# repo_path(REL) — absolute path of a file in the checkout under test.
sub repo_path
{
	my ($rel) = @_;
	return "$ENV{PGCOMMERCE_REPO}/$rel";
}

# Settings every commerce node has, before its own extra_conf.
my $BASE_CONF = <<'CONF';
shared_preload_libraries = 'pgcommerce'
track_commit_timestamp = on
log_statement = none
max_connections = 300
CONF

# The installation under test, as a string that changes when it does.
sub install_key
{
	my $pg_config = sub { my $v = `pg_config --$_[0]`; chomp $v; return $v };
	my ($bindir, $libdir, $sharedir) = map { $pg_config->($_) } qw(bindir pkglibdir sharedir);
	my @files = ("$bindir/postgres", "$bindir/initdb", "$libdir/pgcommerce.so",
		glob("$sharedir/extension/pgcommerce*"));
	return join("\n", $BASE_CONF, map { my @s = stat $_; "$_ " . ($s[7] // '-') . ' ' . ($s[9] // '-') } @files) . "\n";
}

# template_dir() — the directory holding bare/ and commerce/ data
# directories for this run, built on first use; undef when disabled.
my $template_dir;
sub template_dir
{
	return undef if defined $ENV{PGCOMMERCE_TEST_TEMPLATE} && !$ENV{PGCOMMERCE_TEST_TEMPLATE};
	return $template_dir if $template_dir;
	my $dir = "$PostgreSQL::Test::Utils::tmp_check/pgcommerce_template";
	my $key = install_key();
	open my $lock, '>>', "$dir.lock" or die "cannot open $dir.lock: $!";
	flock($lock, LOCK_EX) or die "cannot lock $dir.lock: $!";
	my $have = -e "$dir/key" ? PostgreSQL::Test::Utils::slurp_file("$dir/key") : '';
	if ($have ne $key)
	{
		rmtree($dir);
		build_templates("$dir.new.$$");
		rename("$dir.new.$$", $dir) or die "cannot rename template to $dir: $!";
		open my $fh, '>', "$dir/key" or die "cannot write $dir/key: $!";
		print $fh $key;
		close $fh;
	}
	close $lock;
	return $template_dir = $dir;
}

# build_templates(DIR): DIR/bare is what init gives a node plus the base
# settings; DIR/commerce is the same after CREATE DATABASE commerce and
# CREATE EXTENSION pgcommerce CASCADE, shut down cleanly.
sub build_templates
{
	my ($dir) = @_;
	mkdir $dir or die "cannot create $dir: $!";
	my $node = PostgreSQL::Test::Cluster->new('pgcommerce_template');
	$node->init;
	$node->append_conf('postgresql.conf', $BASE_CONF);
	PostgreSQL::Test::Utils::system_or_bail('cp', '-a', $node->data_dir, "$dir/bare");
	$node->start;
	$node->safe_psql('postgres', 'CREATE DATABASE commerce');
	$node->safe_psql('commerce', 'CREATE EXTENSION pgcommerce CASCADE');
	$node->stop;
	PostgreSQL::Test::Utils::system_or_bail('cp', '-a', $node->data_dir, "$dir/commerce");
	rmtree($node->basedir);
	return;
}

# init_from_template($node, $which): what $node->init does (a data
# directory with the test settings, its own port and socket), copied from
# the template instead of initdb.
sub init_from_template
{
	my ($node, $which) = @_;
	my $src = template_dir() . "/$which";
	mkdir $node->backup_dir;
	mkdir $node->archive_dir;
	rmdir $node->data_dir;
	PostgreSQL::Test::Utils::system_or_bail('cp', '-a', $src, $node->data_dir);
	chmod(0700, $node->data_dir);
	$node->append_conf('postgresql.conf', "\n# pgcommerce: copied from $src\nport = " . $node->port);
	$node->append_conf('postgresql.conf', "unix_socket_directories = '" . $node->host . "'\nlisten_addresses = ''");
	return;
}

# commerce_node(NAME, %opts) — an initialised and started node with
# shared_preload_libraries = 'pgcommerce' and, unless create_extension => 0,
# database `commerce` holding the extension. extra_conf => "..." is appended
# to postgresql.conf before the start. template => 0: initdb and CREATE
# EXTENSION for this node instead of a copy of the run's template.
sub commerce_node
{
	my ($name, %opts) = @_;
	my $create = !(defined $opts{create_extension} && !$opts{create_extension});
	my $node = PostgreSQL::Test::Cluster->new($name);
	my $copy = !(defined $opts{template} && !$opts{template}) && !$PostgreSQL::Test::Utils::windows_os
	  && template_dir();
	if ($copy)
	{
		init_from_template($node, $create ? 'commerce' : 'bare');
	}
	else
	{
		$node->init;
		$node->append_conf('postgresql.conf', $BASE_CONF);
	}
	$node->append_conf('postgresql.conf', $opts{extra_conf}) if $opts{extra_conf};
	$node->start;
	if ($create && !$copy)
	{
		$node->safe_psql('postgres', 'CREATE DATABASE commerce');
		$node->safe_psql('commerce', 'CREATE EXTENSION pgcommerce CASCADE');
	}
	return $node;
}

# run_pgbench(NODE, NAME, CLIENTS, TRANSACTIONS, SCRIPT, VAR => VALUE...) —
# the concurrency suites' load (210, 740, 741): SCRIPT (a pgbench script,
# written to a file named after NAME) run by CLIENTS clients on two
# threads, TRANSACTIONS each, against NODE's commerce database, each VAR
# given with -D; one test: pgbench exited 0.
sub run_pgbench
{
	my ($node, $name, $clients, $transactions, $script, %vars) = @_;
	my $file = PostgreSQL::Test::Utils::tempdir() . "/$name.sql";
	PostgreSQL::Test::Utils::append_to_file($file, $script);
	my ($out, $err) = ('', '');
	my @define = map { ('-D', "$_=$vars{$_}") } sort keys %vars;
	IPC::Run::run([ 'pgbench', '-n', '-c', $clients, '-j', 2, '-t', $transactions, @define,
					'-f', $file, '-h', $node->host, '-p', $node->port, 'commerce' ],
				  '>', \$out, '2>', \$err);
	return Test::More::is($?, 0, "$name: pgbench ran $clients clients") || Test::More::diag($err);
}

1;
