# test/t/013_code_shape.pl — the code keeps the shape docs/design.md sets:
# scripts/code-shape.pl finds no .c file over 700 lines, no function over
# 120 lines and no call circle between the library's files; every C
# function the install script names is commerce_<its SQL name> (or
# commerce_<name>_sql when C code calls the plain name), declared with
# PG_FUNCTION_INFO_V1 in the one file that defines it; and no header
# declares what another area's file defines (the grab-bag pgcommerce.h
# must not come back).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(repo_path);

my $repo = repo_path('');
chdir $repo or die "$repo: $!";

my $shape = `perl scripts/code-shape.pl 2>&1`;
is($? >> 8, 0, 'scripts/code-shape.pl finds no breach') or diag($shape);
unlike($shape, qr/no objects/, 'code-shape.pl read the built objects');

# SQL name -> C symbol
my $sql = join '', map { slurp_file($_) } sort glob('sql/src/*.sql');
my @c_functions;
while ($sql =~ /MODULE_PATHNAME'\s*,\s*'(\w+)'/g)
{
	my ($symbol, $before) = ($1, substr($sql, 0, $-[0]));
	my ($name) = $before =~ /.*CREATE (?:OR REPLACE )?FUNCTION commerce\.(\w+)/s;
	push @c_functions, [ $name // '?', $symbol ];
}
cmp_ok(scalar @c_functions, '>=', 70, 'the install script names its C functions');
my @misnamed = map { "$_->[0] -> $_->[1]" }
  grep { $_->[1] ne "commerce_$_->[0]" && $_->[1] ne "commerce_$_->[0]_sql" } @c_functions;
is(join(', ', @misnamed), '', 'every C function is commerce_<SQL name>');

my %declared_in;
for my $file (glob('extension/*.c'), glob('bgworker/*.c'))
{
	my $text = slurp_file($file);
	push @{ $declared_in{$1} }, $file while $text =~ /^PG_FUNCTION_INFO_V1\((\w+)\)/mg;
}
my @lost = map { $_->[1] } grep { !$declared_in{ $_->[1] } } @c_functions;
is(join(', ', @lost), '', 'every C function has PG_FUNCTION_INFO_V1');
my @twice = grep { @{ $declared_in{$_} } > 1 } sort keys %declared_in;
is(join(', ', @twice), '', 'each C function is declared in one file');

ok(!-e 'extension/pgcommerce.h' && !-e 'extension/catalog_support.h',
	'no grab-bag header');

done_testing();
