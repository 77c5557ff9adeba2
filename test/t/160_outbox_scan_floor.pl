# test/t/160_outbox_scan_floor.pl — the publisher's scan floor
# (bgworker/scan_floor.c): the look-up of unpublished rows starts at a
# floor that rises as batches go out, yet never passes a row that can
# still commit. An event written early in a long transaction, or in a
# prepared transaction, while thousands of later events are published, is
# published when it commits, before anything committed after it. A row
# whose id lies below the floor (set by hand) is left to the periodic
# full scan (pgcommerce.publisher_full_scan_interval), which finds it.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('scanfloor', extra_conf => <<'CONF');
max_prepared_transactions = 4
pgcommerce.publisher_batch_size = 100
pgcommerce.publisher_full_scan_interval = '1h'
CONF
my $tenant = $node->safe_psql('commerce', "SELECT commerce.create_tenant('sf', 'SF', 'EUR')");

sub emit_sql
{
	my ($tag, $count) = @_;
	$count //= 1;
	return "SELECT commerce.set_context('$tenant');"
	  . " SELECT count(commerce.emit_event('test.floor', 'thing', commerce.uuid_generate_v7(),"
	  . " jsonb_build_object('tag', '$tag', 'i', g))) FROM generate_series(1, $count) g;";
}

# Seconds until every event tagged $tag has a seq (undef after $limit s).
sub wait_published
{
	my ($tag, $limit) = @_;
	my $start = time;
	while (time - $start < $limit)
	{
		return time - $start
		  if $node->safe_psql('commerce',
			"SELECT count(*) > 0 AND count(*) = count(seq) FROM commerce.outbox WHERE data->>'tag' = '$tag'")
		  eq 't';
		usleep(50_000);
	}
	return undef;
}

sub seq_of
{
	my ($tag) = @_;
	return $node->safe_psql('commerce', "SELECT max(seq) FROM commerce.outbox WHERE data->>'tag' = '$tag'");
}

# 2,000 events in 20 transactions, each published in its own batches.
my $churns = 0;
sub churn
{
	my $tag = 'churn' . ++$churns;
	for (1 .. 20)
	{
		$node->safe_psql('commerce', 'BEGIN; ' . emit_sql($tag, 100) . ' COMMIT;');
	}
	ok(defined wait_published($tag, 60), "$tag: 2,000 later events published");
	return $tag;
}

churn();

# --- an event written early in a long transaction -------------------------
my $long = $node->background_psql('commerce');
$long->query_safe('BEGIN');
$long->query_safe(emit_sql('held'));
my $churn = churn();
is($node->safe_psql('commerce', "SELECT count(seq) FROM commerce.outbox WHERE data->>'tag' = 'held'"),
	'0', 'the open transaction\'s event is not published');
$long->query_safe('COMMIT');
$node->safe_psql('commerce', 'BEGIN; ' . emit_sql('after-held') . ' COMMIT;');
ok(defined wait_published('held', 10), 'the long transaction\'s event is published once it commits');
ok(defined wait_published('after-held', 10), 'so is the event committed after it');
cmp_ok(seq_of('held'), '<', seq_of('after-held'), 'in commit order');
cmp_ok(seq_of('held'), '>', seq_of($churn), 'after the events that committed before it');

# --- an event in a prepared transaction ---------------------------------
$long->query_safe('BEGIN');
$long->query_safe(emit_sql('prepared'));
$long->query_safe("PREPARE TRANSACTION 'floor'");
$churn = churn();
is($node->safe_psql('commerce', "SELECT count(seq) FROM commerce.outbox WHERE data->>'tag' = 'prepared'"),
	'0', 'the prepared transaction\'s event is not published');
$node->safe_psql('commerce', "COMMIT PREPARED 'floor'");
$node->safe_psql('commerce', 'BEGIN; ' . emit_sql('after-prepared') . ' COMMIT;');
ok(defined wait_published('prepared', 10), 'the prepared transaction\'s event is published at COMMIT PREPARED');
ok(defined wait_published('after-prepared', 10), 'so is the event committed after it');
cmp_ok(seq_of('prepared'), '<', seq_of('after-prepared'), 'in commit order');
$long->quit;

# --- a row below the floor ---------------------------------------------------
# Written with a hand-made id from 1970: the floor has long passed it.
$node->safe_psql('commerce',
	"INSERT INTO commerce.outbox_written (tenant_id, id, type, aggregate_type, aggregate_id, data)"
	  . " VALUES ('$tenant', '00000000-0001-7000-8000-000000000001', 'test.floor', 'thing',"
	  . " commerce.uuid_generate_v7(), '{\"tag\": \"hand-made\"}')");
churn();
is($node->safe_psql('commerce', "SELECT count(seq) FROM commerce.outbox WHERE data->>'tag' = 'hand-made'"),
	'0', 'a row below the floor is not seen by the batches (the floor has risen)');
$node->safe_psql('commerce',
	"ALTER SYSTEM SET pgcommerce.publisher_full_scan_interval = '200ms'; SELECT pg_reload_conf();");
ok(defined wait_published('hand-made', 10), 'the periodic full scan publishes it');

is($node->safe_psql('commerce', 'SELECT count(*) FROM commerce.outbox WHERE seq IS NULL'),
	'0', 'nothing is left unpublished');
$node->stop;
done_testing();
