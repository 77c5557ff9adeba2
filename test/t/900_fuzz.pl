# test/t/900_fuzz.pl — a short run of every libFuzzer harness (fuzz/,
# scripts/fuzz.sh, docs/reliability.md): each runs FUZZ_SECONDS (default 8)
# from its committed seeds and must end with executions and no crash, leak
# or timeout. Then the run must fail when a harness does crash: a harness
# with a planted heap overflow (built here with the same clang flags)
# makes scripts/fuzz.sh exit non-zero, name the input it saved, and show
# AddressSanitizer's report. `make test` builds fuzz/bin first (`make fuzz`).
use strict;
use warnings;
use File::Basename qw(dirname);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(repo_path);

my $fuzz = repo_path('scripts/fuzz.sh');
my @harnesses = qw(http_request json_body jwt_verify jwt_signed cursor json_args);
my $tmp = PostgreSQL::Test::Utils::tempdir;
my ($pgbin) = grep { -x "$_/postgres" } split /:/, $ENV{PATH};
my %env = (FUZZ_NO_BUILD => 1, FUZZ_SECONDS => $ENV{FUZZ_SECONDS} // 8, FUZZ_PGBIN => $pgbin);

for my $h (@harnesses)
{
	my $bin = repo_path("fuzz/bin/$h") . ($h eq 'json_args' ? '.so' : '');
	ok(-e $bin, "$h: harness built (make fuzz)") or next;
	my ($out, $err) = ('', '');
	local @ENV{keys %env} = values %env;
	local $ENV{FUZZ_WORK} = "$tmp/work";
	IPC::Run::run([ $fuzz, $h ], '>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	my ($line) = $out =~ /^(fuzz \Q$h\E: .*)$/m;
	is($rc, 0, "$h: no crash, leak or timeout") or diag("$out$err");
	like($line // '', qr/: [1-9]\d* execs, cov [1-9]\d*, .* crashes 0$/, "$h: ran and covered code")
	  and note($line);
}

# A broken harness must fail the run.
mkdir "$tmp/broken" or die;
mkdir "$tmp/broken/bin" or die;
mkdir "$tmp/broken/corpus" or die;
mkdir "$tmp/broken/corpus/planted" or die;
PostgreSQL::Test::Utils::append_to_file("$tmp/broken/corpus/planted/seed", 'bug');
PostgreSQL::Test::Utils::append_to_file("$tmp/broken/planted.c", <<'C');
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
char *volatile keep;
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *buf = keep = malloc(4);
	if (n >= 3 && d[0] == 'b' && d[1] == 'u' && d[2] == 'g')
		memcpy(buf, d, n);	/* planted: overflows from 5 bytes on */
	free(buf);
	return 0;
}
C
my ($cout, $cerr) = ('', '');
IPC::Run::run([ 'clang', '-g', '-O0', '-fsanitize=fuzzer,address,undefined', '-o',
	"$tmp/broken/bin/planted", "$tmp/broken/planted.c" ], '>', \$cout, '2>', \$cerr);
is($?, 0, 'planted harness builds') or diag($cerr);
{
	my ($out, $err) = ('', '');
	local @ENV{keys %env} = values %env;
	local $ENV{FUZZ_SECONDS} = 60;
	local $ENV{FUZZ_WORK} = "$tmp/broken/work";
	local $ENV{FUZZ_BIN_DIR} = "$tmp/broken/bin";
	local $ENV{FUZZ_CORPUS_DIR} = "$tmp/broken/corpus";
	IPC::Run::run([ $fuzz ], '>', \$out, '2>', \$err);
	isnt($? >> 8, 0, 'a crashing harness fails scripts/fuzz.sh');
	like($out, qr/^fuzz planted: .* crashes [1-9]/m, 'the summary counts the crash');
	like($err, qr/FAILED.*\n\s+input: .*crash-/, 'the crashing input is saved and named');
	my @crash = glob("$tmp/broken/work/planted/crash-*");
	ok(@crash && slurp_file($crash[0]) =~ /^bug./s, 'the saved input is the planted one');
	like(slurp_file("$tmp/broken/work/planted/run.log"), qr/AddressSanitizer: heap-buffer-overflow/,
		'AddressSanitizer reported it');
}

done_testing();
