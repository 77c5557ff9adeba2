# test/t/007_uuid_clock.pl — commerce.uuid_generate_v7() stays strictly
# increasing within a backend when the wall clock stands still or steps
# back. The server runs under libfaketime, whose clock this test moves
# through a control file: frozen, then 10 s back, then normal again.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $faketime = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
plan skip_all => "libfaketime is not installed ($faketime)" unless -e $faketime;

my $control = PostgreSQL::Test::Utils::tempdir() . '/faketime';
sub set_clock { open my $fh, '>', $control or die; print $fh "$_[0]\n"; close $fh; }
set_clock('+0');

local $ENV{LD_PRELOAD} = $faketime;
local $ENV{FAKETIME_TIMESTAMP_FILE} = $control;
local $ENV{FAKETIME_NO_CACHE} = '1';
local $ENV{FAKETIME_DONT_FAKE_MONOTONIC} = '1';
my $node = commerce_node('uuidclock');

my $session = $node->background_psql('commerce');
$session->query_safe('CREATE TEMP TABLE ids (n serial, phase text, id uuid)');
my $batch = q{INSERT INTO ids (phase, id) SELECT '%s', commerce.uuid_generate_v7() FROM generate_series(1, 2000)};
my $ms = q{('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint};

$session->query_safe(sprintf $batch, 'normal');
set_clock('2026-01-01 00:00:00');	# frozen, and far in the past
is($session->query_safe(q{SELECT to_char(clock_timestamp(), 'YYYY-MM-DD HH24:MI')}),
	'2026-01-01 00:00', 'the server clock really is frozen in the past');
$session->query_safe(sprintf $batch, 'frozen');
set_clock('-10');					# ten seconds behind the real clock
$session->query_safe(sprintf $batch, 'behind');
set_clock('+0');
$session->query_safe(sprintf $batch, 'normal again');

is($session->query_safe('SELECT count(DISTINCT id) FROM ids'), '8000', 'all identifiers are distinct');
is($session->query_safe(q{SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY n) AS prev FROM ids) s
                          WHERE prev IS NOT NULL AND id <= prev}),
	'0', 'each identifier is greater than the one before, across clock changes');
is($session->query_safe("SELECT bool_and($ms >= (SELECT max($ms) FROM ids WHERE phase = 'normal')) FROM ids WHERE phase IN ('frozen', 'behind')"),
	't', 'a clock that stands still or goes back never moves the timestamp back');
is($session->query_safe(q{SELECT bool_and(get_byte(uuid_send(id), 6) >> 4 = 7 AND get_byte(uuid_send(id), 8) >> 6 = 2) FROM ids}),
	't', 'version and variant bits stay right');

$session->quit;
$node->stop;
done_testing();
