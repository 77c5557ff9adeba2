# test/t/003_isolation_copy.pl — COPY, as a logged-in partner role bound to
# tenant A: COPY TO exports only A's rows, COPY (SELECT ...) likewise, and
# COPY FROM into a tenant table is refused (callers hold SELECT only),
# so no row of another tenant can be written or read in bulk.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('copy');
$node->safe_psql('commerce', q{
	CREATE ROLE copy_a LOGIN;
	SELECT commerce.bind_role('copy_a', commerce.create_tenant('copy-a', 'A', 'EUR'));
	SELECT commerce.create_tenant('copy-b', 'B', 'EUR');
	INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response)
	SELECT id, 'staff', '', slug || '-key', 'seed', '\x00', jsonb_build_object('owner', slug)
	FROM commerce.tenants;
});

my $out = $node->safe_psql('commerce', 'COPY commerce.idempotency_keys (key) TO STDOUT',
	extra_params => [ '-U', 'copy_a' ]);
is($out, 'copy-a-key', 'COPY TO exports only the own tenant\'s rows');

$out = $node->safe_psql('commerce',
	'COPY (SELECT key FROM commerce.idempotency_keys ORDER BY key) TO STDOUT',
	extra_params => [ '-U', 'copy_a' ]);
is($out, 'copy-a-key', 'COPY (SELECT ...) TO exports only the own tenant\'s rows');

my ($ret, $stdout, $stderr) = $node->psql('commerce',
	"COPY commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response) FROM STDIN",
	extra_params => [ '-U', 'copy_a' ]);
isnt($ret, 0, 'COPY FROM into a tenant table is refused');
like($stderr, qr/permission denied for table idempotency_keys/, 'because only commands write tenant tables');

is($node->safe_psql('commerce', 'SELECT count(*) FROM commerce.idempotency_keys'), '2',
	'nothing was written');

$node->stop;
done_testing();
