# test/t/005_function_docs.pl — every function of schema commerce documents
# itself (COMMENT ON FUNCTION, so \df+ shows it) and appears in
# docs/sql-api.md.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);

my $node = commerce_node('docs');

my @uncommented = split /\n/, $node->safe_psql('commerce', q{
	SELECT p.oid::regprocedure FROM pg_proc p
	JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'commerce'
	WHERE obj_description(p.oid, 'pg_proc') IS NULL ORDER BY 1});
is_deeply(\@uncommented, [], 'every commerce function has a COMMENT');

my @names = split /\n/, $node->safe_psql('commerce', q{
	SELECT DISTINCT p.proname FROM pg_proc p
	JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = 'commerce'
	WHERE p.prorettype <> 'trigger'::regtype ORDER BY 1});
cmp_ok(scalar(@names), '>=', 10, 'functions were found');
my $doc = slurp_file(repo_path('docs/sql-api.md'));
my @undocumented = grep { $doc !~ /commerce\.\Q$_\E\b/ } @names;
is(join(", ", @undocumented), "", 'every commerce function is in docs/sql-api.md');

$node->stop;
done_testing();
