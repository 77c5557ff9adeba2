# test/t/002_error_codes.pl — the error table is one truth: every code raised
# in C (commerce_errcode("...")) is in commerce.error_codes, and every row of
# commerce.error_codes appears with the same SQLSTATE and HTTP status in
# docs/errors.md, which the gateway's users read.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);

my $node = commerce_node('errors');

my %table;
for my $line (split /\n/, $node->safe_psql('commerce',
		"SELECT code || '|' || sqlstate || '|' || http_status FROM commerce.error_codes"))
{
	my ($code, $sqlstate, $http) = split /\|/, $line;
	$table{$code} = [ $sqlstate, $http ];
}
cmp_ok(scalar(keys %table), '>=', 10, 'error_codes has rows');

my %raised;
for my $file (glob(repo_path('extension') . '/*.c'), glob(repo_path('bgworker') . '/*.c'))
{
	my $src = slurp_file($file);
	$raised{$1} = $file while $src =~ /commerce_errcode\("([a-z0-9_]+)"\)/g;
}
cmp_ok(scalar(keys %raised), '>=', 5, 'codes raised in C were found');
my @missing = grep { !exists $table{$_} } sort keys %raised;
is_deeply(\@missing, [], 'every code raised in C is in commerce.error_codes');

my $doc = slurp_file(repo_path('docs/errors.md'));
my %documented;
while ($doc =~ /^\|\s*`?([a-z][a-z0-9_]*)`?\s*\|\s*`?([0-9A-Z]{5})`?\s*\|\s*(\d{3})\s*\|/mg)
{
	$documented{$1} = [ $2, $3 ];
}
my @undocumented = grep {
	!exists $documented{$_}
	  || $documented{$_}[0] ne $table{$_}[0]
	  || $documented{$_}[1] ne $table{$_}[1]
} sort keys %table;
is_deeply(\@undocumented, [], 'every error code is in docs/errors.md with its SQLSTATE and HTTP status');

$node->stop;
done_testing();
