# test/lib/PgCommerce/Faults.pm — shared pieces of the HTTP fault suites of
# issue 18 (test/t/931, 932): a catalogue of tenants with priced, stocked
# variants; checkout clients (forked processes) that send POST /v1/checkout
# with an Idempotency-Key and retry the same key with the same body until
# they get an answer, logging every response; and the checks that must hold
# after the faults: every key answered by exactly one order, every
# acknowledged order there and placed, each order.placed event served once
# by the gateway's feed, every committed event published, no invariant
# broken.
package PgCommerce::Faults;

use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Gateway qw(make_jwt);

our @EXPORT_OK = qw(seed_catalogue staff_tokens start_clients stop_clients read_logs check_outcome);

# seed_catalogue($node, $prefix, $tenants, $variants) — tenants
# "$prefix-1".. each with $variants active, priced (EUR) variants holding
# 1,000,000 units; returns [ { id => tenant, variants => [ids] } ].
sub seed_catalogue
{
	my ($node, $prefix, $tenants, $variants) = @_;
	my $rows = $node->safe_psql('commerce', <<SQL);
CREATE TEMP TABLE seeded (tenant_id uuid, variant_id uuid);
DO \$\$
DECLARE t uuid; p uuid; v uuid; l uuid;
BEGIN
  FOR i IN 1..$tenants LOOP
    t := commerce.create_tenant('$prefix-' || i, 'Faults ' || i, 'EUR');
    PERFORM commerce.set_context(t);
    l := (commerce.create_price_list('{"name": "Retail", "currency": "EUR"}') ->> 'id')::uuid;
    FOR j IN 1..$variants LOOP
      p := (commerce.create_product(jsonb_build_object('title', 'P' || j, 'status', 'active')) ->> 'id')::uuid;
      v := (commerce.create_variant(p, jsonb_build_object('sku', 'SKU-' || j)) ->> 'id')::uuid;
      PERFORM commerce.set_inventory(v, '{"on_hand": 1000000}');
      PERFORM commerce.set_price(l, jsonb_build_object('variant_id', v, 'amount', 100 * j + 99));
      INSERT INTO seeded VALUES (t, v);
    END LOOP;
  END LOOP;
END \$\$;
SELECT tenant_id || ' ' || string_agg(variant_id::text, ' ') FROM seeded GROUP BY tenant_id ORDER BY 1;
SQL
	return [ map { my ($t, @v) = split / /; { id => $t, variants => \@v } } split /\n/, $rows ];
}

# staff_tokens($catalogue) — a staff token per tenant, same order.
sub staff_tokens
{
	my ($cat) = @_;
	return [ map { make_jwt({ tenant_id => $_->{id}, sub => 'staff-faults', role => 'staff', exp => time + 7200 }) }
		  @$cat ];
}

# start_clients(base => URL, catalogue => ..., clients => N, dir => DIR,
# seed => S, prefix => key prefix) — fork N clients; returns a handle for
# stop_clients. Each client loops until DIR/stop exists: a new key and a
# checkout body of two lines of one tenant, sent until answered 201 (a
# replay counts), sleeping 20 ms after a failure. Once DIR/stop exists it
# still retries its current key for up to 60 s. Log lines (DIR/client-N.log,
# tab-separated): R time key status code seconds (every response; code is
# the error code, or the first words of HTTP::Tiny's own error for 599);
# A key tenant order replayed attempts (answered); U key (never answered).
sub start_clients
{
	my (%o) = @_;
	my $tokens = staff_tokens($o{catalogue});
	my @pids;
	for my $c (1 .. $o{clients})
	{
		my $pid = fork() // die "fork: $!";
		if (!$pid)
		{
			srand(($o{seed} // 1) * 1000 + $c);
			client_loop($c, $tokens, %o);
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	return { pids => \@pids, dir => $o{dir} };
}

sub client_loop
{
	my ($c, $tokens, %o) = @_;
	my $http = HTTP::Tiny->new(timeout => $o{timeout} // 15, keep_alive => 1);
	open my $log, '>>', "$o{dir}/client-$c.log" or die $!;
	$log->autoflush(1);
	my $n = 0;
	until (-e "$o{dir}/stop")
	{
		$n++;
		my $key = ($o{prefix} // '') . "c$c-$n";
		my $t = int(rand(@{ $o{catalogue} }));
		my @v = @{ $o{catalogue}[$t]{variants} };
		my $half = int(@v / 2);
		my $body = encode_json({ currency => 'EUR', lines => [
			{ variant_id => $v[ int(rand($half)) ], quantity => 1 + int(rand(3)) },
			{ variant_id => $v[ $half + int(rand(@v - $half)) ], quantity => 1 } ] });
		my ($attempts, $deadline) = (0, undef);
		while (1)
		{
			$attempts++;
			my $t0 = time;
			my $r = $http->request('POST', "$o{base}/v1/checkout", { content => $body, headers => {
				Authorization => "Bearer $tokens->[$t]", 'Content-Type' => 'application/json',
				'Idempotency-Key' => $key } });
			my $j = eval { decode_json($r->{content}) } // {};
			my $code = $r->{status} == 599 ? join('_', (split /\s+/, $r->{content} // '')[0 .. 2])
			  : ref $j->{error} eq 'HASH' ? $j->{error}{code} // '' : '';
			printf $log "R\t%.3f\t%s\t%d\t%s\t%.3f\n", $t0, $key, $r->{status}, $code, time - $t0;
			if ($r->{status} == 201 && $j->{id})
			{
				print $log join("\t", 'A', $key, $o{catalogue}[$t]{id}, $j->{id},
					($r->{headers}{'idempotent-replayed'} // '') eq 'true' ? 1 : 0, $attempts), "\n";
				last;
			}
			$deadline //= time + 60 if -e "$o{dir}/stop";
			if ($deadline && time > $deadline) { print $log "U\t$key\n"; last }
			sleep 0.02;
		}
	}
	close $log;
}

# stop_clients($handle) — ask the clients to stop and wait for them.
sub stop_clients
{
	my ($h) = @_;
	PostgreSQL::Test::Utils::append_to_file("$h->{dir}/stop", '');
	waitpid($_, 0) for @{ $h->{pids} };
	return;
}

# read_logs(@dirs) — { responses => [ [time, key, status, code, seconds] ],
# acked => { key => [tenant, order, replayed, attempts] }, unanswered => [keys] }.
sub read_logs
{
	my (@dirs) = @_;
	my %out = (responses => [], acked => {}, unanswered => []);
	for my $f (map { glob "$_/client-*.log" } @dirs)
	{
		for my $line (split /\n/, slurp_file($f))
		{
			my ($kind, @f) = split /\t/, $line, -1;
			if ($kind eq 'R') { push @{ $out{responses} }, \@f }
			elsif ($kind eq 'A') { $out{acked}{ $f[0] } = [ @f[1 .. 4] ] }
			elsif ($kind eq 'U') { push @{ $out{unanswered} }, $f[0] }
		}
	}
	return \%out;
}

# check_outcome($node, $gw, $catalogue, $logs, $name) — what must hold
# after the faults (see the top of this file).
sub check_outcome
{
	my ($node, $gw, $cat, $logs, $name) = @_;
	my %acked = %{ $logs->{acked} };
	is(scalar @{ $logs->{unanswered} }, 0, "$name: every key answered in the end")
	  or diag("unanswered: @{ $logs->{unanswered} }");
	my %orders;
	$orders{ $_->[1] }++ for values %acked;
	is(scalar(grep { $_ > 1 } values %orders), 0, "$name: no order acknowledged for two keys");
	my $tenants = join(',', map { "'$_->{id}'" } @$cat);
	my %in_db = map { split / / } split /\n/, $node->safe_psql('commerce',
		"SELECT id || ' ' || status FROM commerce.orders WHERE tenant_id IN ($tenants)");
	is(scalar(keys %in_db), scalar(keys %acked), "$name: exactly one order per key ("
		  . scalar(keys %acked) . ' keys)');
	my @missing = grep { ($in_db{ $_->[1] } // '') ne 'placed' } values %acked;
	is(scalar @missing, 0, "$name: every acknowledged order is there, placed")
	  or diag(join ' ', map { $_->[1] } @missing[0 .. ($#missing > 4 ? 4 : $#missing)]);
	ok($node->poll_query_until('commerce', <<'SQL'), "$name: every committed event published");
SELECT NOT EXISTS (SELECT 1 FROM commerce.outbox_written w
                    WHERE NOT EXISTS (SELECT 1 FROM commerce.outbox_published p
                                       WHERE p.tenant_id = w.tenant_id AND p.id = w.id))
SQL
	# the gateway's feed serves each order's order.placed exactly once
	my %placed;
	my $tokens = staff_tokens($cat);
	for my $i (0 .. $#$cat)
	{
		my $cursor = 0;
		while (defined $cursor)
		{
			my $r = $gw->get("/v1/events?after=$cursor&limit=200", token => $tokens->[$i]);
			last unless $r->{status} == 200;
			$placed{ $_->{aggregate_id} }++ for grep { $_->{type} eq 'order.placed' } @{ $r->{json}{data} };
			$cursor = $r->{json}{next_cursor};
		}
	}
	is(scalar(grep { ($placed{$_} // 0) != 1 } keys %orders), 0,
		"$name: the feed serves each acknowledged order's order.placed once");
	is(scalar(keys %placed), scalar(keys %in_db), "$name: and no order.placed of an unacknowledged order");
	is($node->safe_psql('commerce',
			"SELECT string_agg(invariant || ' ' || coalesce(object_id::text, '') || ' ' || detail, E'\\n') "
			  . 'FROM commerce.check_invariants(true)'),
		'', "$name: every invariant holds");
	return;
}

1;
