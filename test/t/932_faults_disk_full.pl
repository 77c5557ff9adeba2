# test/t/932_faults_disk_full.pl — the disk fills up under checkout load
# over HTTP, and nothing acknowledged is lost (issue 18). The hot tables a
# checkout writes (orders, order_lines, outbox_written, outbox_published,
# idempotency_keys, with their indexes) live in a tablespace on a small
# tmpfs (mounted by scripts/test.sh as root: the test skips otherwise), and
# a ballast file leaves them about 1 MB. Four clients send checkouts, each
# retrying its Idempotency-Key until answered. While the disk is full every
# answer is 201 or a JSON 503 (the server's "No space left on device" is
# class 53, `database_unavailable`), the gateway and the server keep running
# (no crash, no restart); once the ballast is removed checkouts are served
# again; then every key has exactly one order, every acknowledged order is
# there, each order.placed is served once by the feed, every committed event
# is published and commerce.check_invariants(true) is empty.
use strict;
use warnings;
use File::Path qw(rmtree);
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway);
use PgCommerce::Faults qw(seed_catalogue start_clients stop_clients read_logs check_outcome);

my $tmpfs = $ENV{PGCOMMERCE_TEST_TMPFS} // '';
plan skip_all => 'needs a small tmpfs to fill: scripts/test.sh mounts one when run as root '
  . '(mount -t tmpfs), and root was not available or the mount was refused'
  unless $tmpfs ne '' && -d $tmpfs && -w $tmpfs;

my $node = commerce_node('disk_full', extra_conf => "pgcommerce.publisher_batch_size = 100\n");
my $cat = seed_catalogue($node, 'disk', 2, 6);
my $space = "$tmpfs/ts-$$";
rmtree($space);
mkdir $space or die "mkdir $space: $!";
my $hot = join ', ', map { "'commerce.$_'::regclass" }
  qw(orders order_lines outbox_written outbox_published idempotency_keys);
$node->safe_psql('commerce', <<SQL);
CREATE TABLESPACE hot LOCATION '$space';
DO \$\$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c
            WHERE c.oid IN ($hot)
               OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN ($hot))
  LOOP
    -- (a table's TOAST table and its index move with it)
    EXECUTE format('ALTER %s %s SET TABLESPACE hot',
                   CASE r.relkind WHEN 'i' THEN 'INDEX' ELSE 'TABLE' END, r.rel);
  END LOOP;
END \$\$;
SQL
is($node->safe_psql('commerce', "SELECT count(*) FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace "
	  . "WHERE t.spcname = 'hot' AND c.oid IN ($hot)"), 5, 'the five hot tables are on the tmpfs');

# Fill the tmpfs but about 1 MB with a ballast file.
sub avail
{
	my ($a) = `df -B1 --output=avail '$tmpfs'` =~ /(\d+)\s*$/;
	return $a;
}
my $ballast = "$space/../ballast-$$";
{
	open my $fh, '>', $ballast or die "$ballast: $!";
	my $chunk = "\0" x (1 << 20);
	my $left = avail() - (1 << 20);
	while ($left > 0)
	{
		my $n = $left < length($chunk) ? $left : length($chunk);
		last unless syswrite($fh, $chunk, $n);
		$left -= $n;
	}
	close $fh;
}
cmp_ok(avail(), '<', 2 << 20, sprintf('the tmpfs has %.1f MB left', avail() / (1 << 20)));

my $postmaster = $node->safe_psql('commerce', 'SELECT pg_postmaster_start_time()');
my $gw = start_gateway($node);
my $dir = PostgreSQL::Test::Utils::tempdir();
my $clients = start_clients(base => $gw->base, catalogue => $cat, clients => 4, dir => $dir, prefix => 'f');

# Until the disk is full: 20 checkouts answered 503.
my $full = sub { scalar grep { $_->[2] >= 500 } @{ read_logs($dir)->{responses} } };
my $deadline = time + 120;
sleep 0.2 while $full->() < 20 && time < $deadline;
my $before = keys %{ read_logs($dir)->{acked} };
cmp_ok($full->(), '>=', 20, "the disk is full after $before checkouts: checkouts answer 5xx");
ok($gw->alive, 'the gateway runs');
is($gw->get('/healthz')->{status}, 200, 'and answers /healthz');
like(slurp_file($node->logfile), qr/No space left on device/, 'the server says why');

# Free the space: checkouts are served again.
unlink $ballast or die "unlink $ballast: $!";
my $t_free = time;
my $acked = sub { scalar keys %{ read_logs($dir)->{acked} } };
my $n = $acked->();
sleep 0.1 while $acked->() < $n + 50 && time - $t_free < 60;
cmp_ok($acked->(), '>=', $n + 50, sprintf('50 more checkouts within %.1f s of freeing the space', time - $t_free));
stop_clients($clients);

my $logs = read_logs($dir);
my %seen;
$seen{"$_->[2] $_->[3]"}++ for @{ $logs->{responses} };
diag(sprintf 'disk full: %d keys, answers: %s', scalar(keys %{ $logs->{acked} }),
	join(', ', map { "$_ × $seen{$_}" } sort keys %seen));
is(scalar(grep { !/^(201 |503 database_unavailable$)/ } keys %seen), 0,
	'every answer is 201 or a JSON 503 database_unavailable');
my $t = $node->safe_psql('commerce', 'SELECT pg_postmaster_start_time()');
is($t, $postmaster, 'the server never restarted (no crash)');
unlike(slurp_file($node->logfile), qr/PANIC|terminating any other active server processes/,
	'no PANIC, no crash of a backend');
check_outcome($node, $gw, $cat, $logs, 'after the disk was full');
is($gw->stop, 0, 'the gateway stops cleanly');
$node->stop;
rmtree($space);
done_testing();
