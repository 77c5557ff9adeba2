# test/t/155_outbox_gather.pl — pgcommerce.publisher_gather (issue 13,
# session 11; bgworker/publisher.c, gather_after): a woken publisher waits
# until that long has passed since its previous batch started, so that
# under load one batch publishes what several commits wrote. What must
# hold: two events committed 300 ms apart, shortly after a batch, are
# published by one batch (one published_at) when the setting is 3 s, and
# by two (1 s apart) when it is 0; the wait is bounded by the setting (the second
# event is published within it plus slack); an idle publisher (its last
# batch long ago) publishes a lone event without waiting.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('gather');
my $t = $node->safe_psql('commerce', "SELECT commerce.create_tenant('gather', 'G', 'EUR')");
$node->safe_psql('commerce', "CREATE ROLE partner_g LOGIN; SELECT commerce.bind_role('partner_g', '$t');");

# Events are written from one open session as the tenant's bound role, so
# that a commit takes milliseconds even on a loaded machine.
my $session = $node->background_psql('commerce', extra_params => [ '-U', 'partner_g' ]);
my $n = 0;
sub event
{
	$n++;
	$session->query_safe(qq{SELECT commerce.create_customer('{"email": "c$n\@example.com"}')});
	return $node->safe_psql('commerce',
		"SELECT id FROM commerce.outbox_written WHERE tenant_id = '$t' ORDER BY id DESC LIMIT 1");
}

sub published_at
{
	my ($id) = @_;
	return $node->safe_psql('commerce',
		"SELECT published_at FROM commerce.outbox_published WHERE tenant_id = '$t' AND id = '$id'");
}

sub wait_published
{
	my ($id) = @_;
	my $start = time;
	$node->poll_query_until('commerce',
		"SELECT EXISTS (SELECT FROM commerce.outbox_published WHERE tenant_id = '$t' AND id = '$id')")
	  or die "event $id not published";
	return time - $start;
}

sub set_gather
{
	my ($ms) = @_;
	$node->safe_psql('commerce', "ALTER SYSTEM SET pgcommerce.publisher_gather = '${ms}ms'; SELECT pg_reload_conf();");
	# the publisher reads the file at its next loop: let one batch go by
	wait_published(event());
	usleep(50_000);
	return;
}

# --- 3 s: two commits 300 ms apart after a batch, one batch ---------------
set_gather(3000);
my $first = event();
wait_published($first);
my $b = event();
usleep(300_000);
my $c = event();
my $waited = wait_published($c);
wait_published($b);
is(published_at($b), published_at($c), 'gather 3 s: both events published by one batch');
cmp_ok($waited, '<', 10, 'and the second within the wait plus slack');

# --- idle: a lone event after a pause is published at once ----------------
sleep 4;
my $lone = event();
cmp_ok(wait_published($lone), '<', 2.5,
	'an idle publisher does not wait out the 3 s (its last batch is long past)');

# --- 0: the same two commits (1 s apart) are two batches -------------------
set_gather(0);
$first = event();
wait_published($first);
$b = event();
usleep(1_000_000);
$c = event();
wait_published($c);
wait_published($b);
isnt(published_at($b), published_at($c), 'gather 0: each woken batch publishes at once');
$session->quit;

done_testing();
