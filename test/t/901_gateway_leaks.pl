# test/t/901_gateway_leaks.pl — LeakSanitizer really guards the gateway
# suites: the ASan/UBSan gateway ($PGCOMMERCE_GATEWAY, detect_leaks=1 from
# scripts/test.sh) started with a one-line library preloaded that leaks a
# block at load time must fail its exit status on SIGTERM (86, or SIGABRT under abort_on_error=1) with LeakSanitizer's report
# on stderr — the exit code and the stderr pattern PgCommerce::Gateway's
# stop() fails every gateway test on. The same gateway without the leak
# stops with 0 and a clean stderr (after serving a request).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway);

plan skip_all => 'needs the ASan gateway (make gateway/pgcommerce-gateway-asan)'
  unless ($ENV{PGCOMMERCE_GATEWAY} // '') =~ /-asan$/;
like($ENV{ASAN_OPTIONS} // '', qr/detect_leaks=1/, 'the suites run the gateway with detect_leaks=1');

my $node = commerce_node('gateway_leaks');
my $tmp = PostgreSQL::Test::Utils::tempdir;
PostgreSQL::Test::Utils::append_to_file("$tmp/leak.c", <<'C');
#include <stdlib.h>
void *volatile kept;
__attribute__((constructor)) static void leak(void)
{
	kept = malloc(4242);
	kept = NULL;				/* unreachable from now on: a leak */
}
C
my ($out, $err) = ('', '');
IPC::Run::run([ 'gcc', '-shared', '-fPIC', '-O0', '-o', "$tmp/leak.so", "$tmp/leak.c" ],
	'>', \$out, '2>', \$err);
is($?, 0, 'leaking library builds') or diag($err);

my $clean = start_gateway($node);
is($clean->get('/healthz')->{status}, 200, 'clean gateway serves');
is($clean->stop, 0, 'clean gateway exits 0 on SIGTERM');

local $ENV{ASAN_OPTIONS} = "$ENV{ASAN_OPTIONS}:verify_asan_link_order=0";
my $leaky = start_gateway($node, env => { LD_PRELOAD => "$tmp/leak.so" });
is($leaky->get('/healthz')->{status}, 200, 'leaking gateway serves');
my $h = $leaky->{h};
$h->signal('TERM');
eval { $h->finish(IPC::Run::timeout(60)) };
my $code = $h->full_result;
my $exit = ($code & 127) ? 128 + ($code & 127) : $code >> 8;
# exitcode=86, or SIGABRT (134) under abort_on_error=1 as scripts/test.sh sets
ok($exit == 86 || $exit == 134, "LeakSanitizer fails the exit status (got $exit)");
like($leaky->stderr, qr/LeakSanitizer: detected memory leaks.*4242 byte/s,
	'the report names the leaked block') or diag($leaky->stderr);

done_testing();
