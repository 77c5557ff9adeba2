# test/t/150_outbox_notify_wakeup.pl — NOTIFY commerce_events is a wake-up
# that tells a listener nothing: any role that can connect may LISTEN, so a
# role bound to tenant A and a role bound to no tenant listen while tenant
# B runs commands; they are woken, and no payload they receive holds B's
# tenant id, an event id, a type or data. And bin/pgcommerce-listen, run
# as A's bound role, prints A's events and nothing of B's, whatever forged
# notifications (B's tenant id, A's tenant id with a huge seq) it receives:
# it reads its events with events_since, never from a payload.
use strict;
use warnings;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use PgCommerce::Test qw(commerce_node repo_path);

my $node = commerce_node('notifywakeup');
my $ta = $node->safe_psql('commerce', "SELECT commerce.create_tenant('wake-a', 'A', 'EUR')");
my $tb = $node->safe_psql('commerce', "SELECT commerce.create_tenant('wake-b', 'B', 'EUR')");
$node->safe_psql('commerce', qq{
CREATE ROLE partner_a LOGIN;
CREATE ROLE partner_b LOGIN;
CREATE ROLE plain_role LOGIN;
SELECT commerce.bind_role('partner_a', '$ta');
SELECT commerce.bind_role('partner_b', '$tb');});

# A command run by a tenant's own bound role (only commands write).
my $ncommands = 0;
sub command_as
{
	my ($role, $sql) = @_;
	$ncommands++;
	$node->safe_psql('commerce', $sql =~ s/KEY/'wake-$ncommands'/r, extra_params => [ '-U', $role ]);
	return;
}

sub all_published
{
	return $node->poll_query_until('commerce', 'SELECT count(*) = 0 FROM commerce.outbox WHERE seq IS NULL');
}

# --- LISTEN as A's partner and as a role bound to no tenant -------------
my %listeners = map { $_ => $node->background_psql('commerce', extra_params => [ '-U', $_ ]) }
  qw(partner_a plain_role);
$_->query_safe('LISTEN commerce_events') for values %listeners;

command_as('partner_b', q{SELECT commerce.create_product('{"title": "B-Secret-Widget"}', KEY)});
command_as('partner_b', q{SELECT commerce.create_customer('{"email": "b-secret@example.com"}', KEY)});
ok(all_published(), "B's events are published");
my @b_ids = split /\n/, $node->safe_psql('commerce', "SELECT id FROM commerce.outbox WHERE tenant_id = '$tb'");
cmp_ok(scalar @b_ids, '>=', 2, 'B ran two commands');

for my $role (sort keys %listeners)
{
	# psql prints notifications after the next command.
	my $out = '';
	for (1 .. 50)
	{
		$out .= $listeners{$role}->query_safe('SELECT 1');
		last if $out =~ /Asynchronous notification/;
		usleep(100_000);
	}
	my @notes = $out =~ /(Asynchronous notification "commerce_events"[^\n]*)/g;
	cmp_ok(scalar @notes, '>=', 1, "$role is woken by B's events");
	is(scalar(grep { /with payload/ } @notes), 0, "$role: every payload is empty");
	unlike($out, qr/\Q$tb\E/i, "$role: no B tenant id");
	ok(!grep({ my $id = $_; $out =~ /\Q$id\E/i } @b_ids), "$role: none of B's event ids");
	unlike($out, qr/product\.created|customer\.created|"type"/, "$role: no event type");
	unlike($out, qr/B-Secret-Widget|b-secret\@example\.com|"data"/, "$role: no event data");
	unlike($out, qr/"seq"|"tenant_id"/, "$role: no envelope at all");
}
$_->quit for values %listeners;

# --- bin/pgcommerce-listen ignores forged notifications -----------------
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $listen = IPC::Run::start([ repo_path('bin/pgcommerce-listen'),
		$node->connstr('commerce') . ' user=partner_a application_name=listen_a' ],
	'>', "$tmp/listen.out", '2>', "$tmp/listen.err");
ok($node->poll_query_until('commerce',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'listen_a'"),
	'pgcommerce-listen connected as A');
sleep 1;    # its catch-up is done

sub forge
{
	my ($role, $tenant, $marker) = @_;
	my $payload = encode_json({
		id => '01900000-0000-7000-8000-0000000000' . sprintf('%02d', ++$ncommands),
		seq => 9000000000000000000, tenant_id => $tenant, type => 'order.paid',
		aggregate_type => 'order', aggregate_id => '01900000-0000-7000-8000-000000000000',
		occurred_at => '2026-01-01T00:00:00.000000Z', data => { forged => $marker } });
	$node->safe_psql('commerce', "SELECT pg_notify('commerce_events', '$payload')",
		extra_params => [ '-U', $role ]);
	return;
}
forge('plain_role', $ta, 'plain-for-a');
forge('partner_b', $ta, 'b-for-a');
forge('partner_b', $tb, 'b-for-b');
$node->safe_psql('commerce', "SELECT pg_notify('commerce_events', 'junk')", extra_params => [ '-U', 'plain_role' ]);
usleep(300_000);
command_as('partner_a', q{SELECT commerce.create_product('{"title": "A-Genuine"}', KEY)});
command_as('partner_b', q{SELECT commerce.create_product('{"title": "B-After"}', KEY)});
ok(all_published(), 'the genuine events are published');

my $printed = '';
for (1 .. 100)
{
	$printed = -e "$tmp/listen.out" ? slurp_file("$tmp/listen.out") : '';
	last if $printed =~ /A-Genuine/;
	usleep(100_000);
}
$listen->signal('TERM');
$listen->finish;
my @lines = map { decode_json($_) } grep { length } split /\n/, $printed;
my $expected = $node->safe_psql('commerce',
	"SELECT string_agg(id::text, ',' ORDER BY seq) FROM commerce.outbox WHERE tenant_id = '$ta'");
is(join(',', map { $_->{id} } @lines), $expected, "pgcommerce-listen printed exactly A's events, in seq order");
like($printed, qr/A-Genuine/, 'including the genuine one sent after the forgeries');
unlike($printed, qr/forged|order\.paid|9000000000000000000|B-After|B-Secret/, 'nothing forged, nothing of B');
ok(!grep({ $_->{tenant_id} ne $ta } @lines), "every line is A's");
is(slurp_file("$tmp/listen.err"), '', 'no errors from pgcommerce-listen');

$node->stop;
done_testing();
