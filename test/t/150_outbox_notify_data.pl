# test/t/150_outbox_notify_data.pl — pgcommerce.notify_data = off keeps
# event data off the NOTIFY channel (which any role that can connect may
# LISTEN to): envelopes go out without data and with "truncated": true,
# and the data stays readable through events_since under row-level
# security. On (the default) the data travels in the notification.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('notifydata');
my $tenant = $node->safe_psql('commerce', "SELECT commerce.create_tenant('nd', 'ND', 'EUR')");
my $listener = $node->background_psql('commerce');
$listener->query_safe('LISTEN commerce_events');

sub emit_and_receive
{
	my ($marker) = @_;
	$node->safe_psql('commerce', "BEGIN; SELECT commerce.set_context('$tenant');"
		  . " SELECT commerce.emit_event('test.secret', 'thing', commerce.uuid_generate_v7(), '{\"secret\": \"$marker\"}'); COMMIT;");
	my $out = '';
	for (1 .. 100)
	{
		$out .= $listener->query_safe('SELECT 1');
		last if $out =~ /test\.secret/;
		usleep(100_000);
	}
	return $out;
}

my $out = emit_and_receive('visible-value');
like($out, qr/visible-value/, 'by default the notification carries the data');

$node->append_conf('postgresql.conf', 'pgcommerce.notify_data = off');
$node->reload;
usleep(500_000);
$out = emit_and_receive('hidden-value');
like($out, qr/test\.secret/, 'with notify_data off the event is still notified');
unlike($out, qr/hidden-value/, 'without its data');
like($out, qr/"truncated": true/, 'and marked truncated');
is($node->safe_psql('commerce', "BEGIN; SELECT commerce.set_context('$tenant');"
		. " SELECT count(*) FROM commerce.events_since(0) e WHERE e->'data'->>'secret' = 'hidden-value'; COMMIT;"),
	"\n1", 'the data is read through events_since');

$listener->quit;
$node->stop;
done_testing();
