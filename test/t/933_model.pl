# test/t/933_model.pl — the randomized model test of issue 18: random
# commands from several tenants and sessions at once, checked step by step
# against a reference model and, every 50 rounds and at the end, against
# commerce.check_invariants(true).
#
# Each round sends 1..MODEL_SESSIONS commands at the same moment, one per
# session (a psql connected as a commerce_gateway member, commands run
# through public.m_run: set_context + the command in one transaction, the
# outcome as JSON): checkouts with new keys, retries of earlier keys with
# the same body, a key reused for another body, cancel and fulfil with the
# current, a stale or no expected version, restocks, set_inventory, order
# reads, another tenant's order. Races are made on purpose: a round may
# carry the same checkout (same key) twice, or two commands on one order
# with the same expected version.
#
# The model (plain Perl) knows per tenant the stock (on_hand, reserved), the
# orders (status, version, lines, total from the prices) and the keys that
# succeeded. The commands of a round ran concurrently, so their outcomes
# must equal the model's for SOME order of the round's commands
# (serializability); a same-key command may also meet idempotency_key_in_use
# while its twin runs. That order's state becomes the model's. At the end
# every order, every stock level and the order count of every tenant must
# equal the model's.
#
#   SEED=n          the random choices (printed; a failure prints the
#                   command that replays it)
#   MODEL_ROUNDS=n  rounds (default 400; the long run: MODEL_ROUNDS=20000)
#   MODEL_SESSIONS  sessions at once (default 4; 1 replays exactly, with no
#                   race left to chance)
#   MODEL_SABOTAGE=n  reserve a unit behind the commands' back at round n:
#                   the run must then fail (the model's self-check)
# With sessions > 1 a seed fixes the choices, but which of two racing
# commands wins can differ between runs, and later choices follow the state.
use strict;
use warnings;
use IPC::Run;
use JSON::PP;
use List::Util qw(shuffle sum0);
use Storable qw(dclone);
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(gateway_role);

my $seed = $ENV{SEED} // int(rand(1 << 30));
my $rounds = $ENV{MODEL_ROUNDS} // 400;
my $nsess = $ENV{MODEL_SESSIONS} // 4;
my $replay = "SEED=$seed MODEL_ROUNDS=$rounds MODEL_SESSIONS=$nsess ./scripts/test.sh tap test/t/933_model.pl";
diag("model: $replay");
srand($seed);

my $node = commerce_node('model');
my $user = gateway_role($node);
my ($T, $V) = (3, 3);
# tenants, variants with prices and a small stock (so stock runs out)
my @tenants;
for my $i (1 .. $T)
{
	my $out = $node->safe_psql('commerce', <<SQL);
BEGIN;
SELECT commerce.create_tenant('model-$i', 'Model $i', 'EUR') AS t \\gset
SELECT commerce.set_context(:'t');
SELECT (commerce.create_price_list('{"name": "Retail", "currency": "EUR"}') ->> 'id') AS l \\gset
CREATE TEMP TABLE v ON COMMIT DROP AS
SELECT j, (commerce.create_variant((commerce.create_product(jsonb_build_object('title', 'P' || j, 'status', 'active')) ->> 'id')::uuid,
                                    jsonb_build_object('sku', 'SKU-' || j)) ->> 'id')::uuid AS id
  FROM generate_series(1, $V) j;
SELECT count(commerce.set_inventory(id, jsonb_build_object('on_hand', 6 + j))) FROM v;
SELECT count(commerce.set_price(:'l', jsonb_build_object('variant_id', id, 'amount', 100 * j + 5))) FROM v;
SELECT :'t' || ' ' || string_agg(id || ':' || (100 * j + 5) || ':' || (6 + j), ' ' ORDER BY j) FROM v;
COMMIT;
SQL
	my ($t, @v) = split / /, (grep { /:/ } split /\n/, $out)[0];
	push @tenants, { id => $t, variants => [ map { [ split /:/ ] } @v ] };
}
$node->safe_psql('commerce', <<'SQL');
CREATE FUNCTION public.m_run(t uuid, cmd text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE r jsonb; st text; msg text; sch text; con text;
BEGIN
  PERFORM commerce.set_context(t);
  EXECUTE cmd INTO r;
  RETURN jsonb_build_object('ok', true, 'id', r ->> 'id', 'status', r ->> 'status', 'version', r -> 'version',
    'total', r -> 'total', 'on_hand', r -> 'on_hand', 'reserved', r -> 'reserved',
    'replayed', coalesce(current_setting('commerce.idempotent_replayed', true), ''));
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, sch = SCHEMA_NAME, con = CONSTRAINT_NAME;
  RETURN jsonb_build_object('err', CASE WHEN sch = 'commerce' AND con <> '' THEN con ELSE st END,
                            'sqlstate', st, 'msg', msg);
END $$;
GRANT EXECUTE ON FUNCTION public.m_run(uuid, text) TO PUBLIC;
SQL

# --- sessions ---------------------------------------------------------------
my @sess = map {
	my $s = { in => '', out => '', err => '' };
	$s->{h} = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('commerce') . " user=$user" ],
		'<', \$s->{in}, '>', \$s->{out}, '2>', \$s->{err});
	$s
} 1 .. $nsess;

# Send every command of a round at once; return their outcomes.
sub run_round
{
	my (@cmds) = @_;
	for my $i (0 .. $#cmds)
	{
		my $c = $cmds[$i];
		(my $sql = $c->{sql}) =~ s/'/''/g;
		$sess[$i]{in} .= "SELECT public.m_run('$c->{t}', '$sql');\n";
	}
	my @res;
	my $deadline = time + 60;
	while (grep({ !defined } @res[0 .. $#cmds]) && time < $deadline)
	{
		for my $i (0 .. $#cmds)
		{
			next if defined $res[$i];
			$sess[$i]{h}->pump_nb;
			$res[$i] = decode_json($1) if $sess[$i]{out} =~ s/^(.*)\n//;
		}
		sleep 0.0005;
	}
	die "a round got no answer within 60 s: @{[ map { $_->{err} } @sess ]}" if grep { !defined } @res[0 .. $#cmds];
	return @res;
}

# --- the model ----------------------------------------------------------------
# state: stock{variant} = [on_hand, reserved, version]; orders{id} = {t, status,
# version, lines => [[variant, q]], total}; keys{"t|key"} = [body, order]
# The level's version moves with every change of it (a line reserved,
# released or shipped, a set or a restock), and set and restock answer it:
# two stock commands on one variant in a round (two sets: each answers its
# own on_hand whichever ran first) are told apart by it, so the order the
# model keeps is the one that ran, not merely one that fits.
my $state = { stock => {}, orders => {}, keys => {} };
my %price;
my %level_version = map { split /\|/ } split /\n/,
  $node->safe_psql('commerce', 'SELECT variant_id, version FROM commerce.inventory_levels');
for my $t (@tenants)
{
	for my $v (@{ $t->{variants} })
	{
		$state->{stock}{ $v->[0] } = [ $v->[2], 0, $level_version{ $v->[0] } ];
		$price{ $v->[0] } = $v->[1];
	}
}
my @order_ids;    # in creation order, for the generator
my %known;
my @sent;         # checkouts sent: [t, key, body-lines]
my $keyno = 0;

sub checkout_sql
{
	my ($lines, $key) = @_;
	my $body = encode_json({ currency => 'EUR',
		lines => [ map { { variant_id => $_->[0], quantity => $_->[1] } } @$lines ] });
	return "SELECT commerce.checkout('$body'::jsonb, '$key')";
}

# apply($st, $cmd, $res, $twins) — does the outcome $res fit the model $st
# with $cmd run now? Updates $st and returns '' when it does, else why not.
sub apply
{
	my ($st, $c, $r, $twins) = @_;
	my $err = $r->{err} // '';
	return '' if $err eq 'idempotency_key_in_use' && $twins;
	if ($c->{kind} eq 'checkout')
	{
		my $k = "$c->{t}|$c->{key}";
		my $body = encode_json($c->{lines});
		if (my $prev = $st->{keys}{$k})
		{
			return $err eq 'idempotency_key_reused' ? '' : "expected idempotency_key_reused, got " . encode_json($r)
			  if $prev->[0] ne $body;
			return "expected the replay of $prev->[1], got " . encode_json($r)
			  unless $r->{ok} && $r->{id} eq $prev->[1] && $r->{replayed} eq 'true';
			return '';
		}
		my $short = grep { my $s = $st->{stock}{ $_->[0] }; $s->[0] - $s->[1] < $_->[1] } @{ $c->{lines} };
		if ($short)
		{
			return $err eq 'insufficient_stock' ? '' : "expected insufficient_stock, got " . encode_json($r);
		}
		my $total = sum0(map { $price{ $_->[0] } * $_->[1] } @{ $c->{lines} });
		return "expected a new order placed, version 1, total $total, got " . encode_json($r)
		  unless $r->{ok} && $r->{status} eq 'placed' && $r->{version} == 1 && $r->{total} == $total
		  && $r->{replayed} ne 'true' && !$st->{orders}{ $r->{id} };
		for my $l (@{ $c->{lines} })
		{
			$st->{stock}{ $l->[0] }[1] += $l->[1];
			$st->{stock}{ $l->[0] }[2]++;
		}
		$st->{orders}{ $r->{id} } = { t => $c->{t}, status => 'placed', version => 1, lines => $c->{lines},
			total => $total };
		$st->{keys}{$k} = [ $body, $r->{id} ];
		return '';
	}
	if ($c->{kind} eq 'cancel' || $c->{kind} eq 'fulfil')
	{
		my $o = $st->{orders}{ $c->{order} };
		if (!$o || $o->{t} ne $c->{t})
		{
			return $err eq 'not_found' ? '' : "expected not_found, got " . encode_json($r);
		}
		my @ok;
		push @ok, 'version_conflict' if defined $c->{expect} && $c->{expect} != $o->{version};
		push @ok, 'invalid_transition' if $o->{status} ne 'placed';
		if (@ok)
		{
			return (grep { $_ eq $err } @ok) ? '' : "expected @ok, got " . encode_json($r);
		}
		my $to = $c->{kind} eq 'cancel' ? 'cancelled' : 'fulfilled';
		return "expected $to at version " . ($o->{version} + 1) . ', got ' . encode_json($r)
		  unless $r->{ok} && $r->{status} eq $to && $r->{version} == $o->{version} + 1 && $r->{id} eq $c->{order};
		for my $l (@{ $o->{lines} })
		{
			my $s = $st->{stock}{ $l->[0] };
			$s->[1] -= $l->[1];
			$s->[0] -= $l->[1] if $to eq 'fulfilled';
			$s->[2]++;
		}
		$o->{status} = $to;
		$o->{version}++;
		return '';
	}
	if ($c->{kind} eq 'restock' || $c->{kind} eq 'set_stock')
	{
		my $s = $st->{stock}{ $c->{variant} };
		my $new = $c->{kind} eq 'restock' ? $s->[0] + $c->{n} : $c->{n};
		if ($new < $s->[1])
		{
			return $err eq 'insufficient_stock' ? '' : "expected insufficient_stock, got " . encode_json($r);
		}
		return "expected on_hand $new reserved $s->[1] version " . ($s->[2] + 1) . ', got ' . encode_json($r)
		  unless $r->{ok} && $r->{on_hand} == $new && $r->{reserved} == $s->[1] && $r->{version} == $s->[2] + 1;
		$s->[0] = $new;
		$s->[2]++;
		return '';
	}
	if ($c->{kind} eq 'read')
	{
		my $o = $st->{orders}{ $c->{order} };
		return "expected $o->{status} at version $o->{version}, got " . encode_json($r)
		  unless $r->{ok} && $r->{status} eq $o->{status} && $r->{version} == $o->{version};
		return '';
	}
	die "unknown command $c->{kind}";
}

# A random command of a random tenant.
sub gen
{
	my $ti = int(rand($T));
	my $t = $tenants[$ti];
	my @mine = grep { $state->{orders}{$_}{t} eq $t->{id} } @order_ids;
	my $p = rand();
	my $vs = $t->{variants};
	if ($p < 0.35 || (!@mine && $p < 0.65))
	{
		my @pick = (shuffle(0 .. $#$vs))[ 0 .. int(rand(2)) ];
		my $lines = [ map { [ $vs->[$_][0], 1 + int(rand(3)) ] } sort @pick ];
		my $key = 'k' . ++$keyno;
		push @sent, [ $t->{id}, $key, $lines ];
		return { kind => 'checkout', t => $t->{id}, key => $key, lines => $lines, sql => checkout_sql($lines, $key) };
	}
	if ($p < 0.50)
	{
		my @old = grep { $_->[0] eq $t->{id} } @sent;
		my $s = $old[ int(rand(@old)) ] // return gen();
		my $lines = $s->[2];
		# now and then the same key for another body
		$lines = [ [ $lines->[0][0], $lines->[0][1] + 1 ] ] if rand() < 0.15;
		return { kind => 'checkout', t => $t->{id}, key => $s->[1], lines => $lines, sql => checkout_sql($lines, $s->[1]) };
	}
	if ($p < 0.80 && @mine)
	{
		my $id = $mine[ rand() < 0.6 ? $#mine - int(rand(@mine < 5 ? @mine : 5)) : int(rand(@mine)) ];
		my $o = $state->{orders}{$id};
		my $q = rand();
		my $expect = $q < 0.6 ? $o->{version} : $q < 0.8 ? $o->{version} - 1 : undef;
		my $kind = rand() < 0.55 ? 'cancel' : 'fulfil';
		my $other = rand() < 0.1;    # under another tenant's context: not_found
		my $ctx = $other ? $tenants[ ($ti + 1) % $T ]{id} : $t->{id};
		return { kind => $kind, t => $ctx, order => $id, expect => $expect,
			sql => "SELECT commerce.${kind}_order('$id'" . (defined $expect ? ", $expect" : '') . ')' };
	}
	if ($p < 0.88)
	{
		my $v = $vs->[ int(rand(@$vs)) ][0];
		my $n = 1 + int(rand(4));
		return { kind => 'restock', t => $t->{id}, variant => $v, n => $n,
			sql => "SELECT commerce.adjust_inventory('$v', $n, 'restock')" };
	}
	if ($p < 0.94)
	{
		my $v = $vs->[ int(rand(@$vs)) ][0];
		my $n = int(rand(12));
		return { kind => 'set_stock', t => $t->{id}, variant => $v, n => $n,
			sql => "SELECT commerce.set_inventory('$v', '{\"on_hand\": $n}')" };
	}
	my $id = $mine[ int(rand(@mine)) ] // return gen();
	return { kind => 'read', t => $t->{id}, order => $id, sql => "SELECT commerce.get_order('$id')" };
}

# The round's commands: up to one per session; sometimes a twin (the same
# checkout, or the same order change with the same expected version).
sub gen_round
{
	my $k = 1 + int(rand($nsess));
	my @cmds = map { gen() } 1 .. $k;
	if ($k >= 2 && rand() < 0.3)
	{
		my @racy = grep { $_->{kind} ne 'read' && $_->{kind} ne 'restock' } @cmds[ 0 .. $k - 2 ];
		$cmds[-1] = { %{ $racy[0] } } if @racy;
	}
	return @cmds;
}

sub permutations
{
	my (@l) = @_;
	return ([]) unless @l;
	return map { my $i = $_; map { [ $l[$i], @$_ ] } permutations(@l[ grep { $_ != $i } 0 .. $#l ]) } 0 .. $#l;
}

my ($ok_rounds, %outcomes, $races, $failed) = (0);
my $t0 = time;
my $t_db = 0;
ROUND: for my $round (1 .. $rounds)
{
	my @cmds = gen_round();
	# MODEL_SABOTAGE=n: at round n one unit of stock is reserved behind the
	# commands' back (the model must notice: shows the check can fail)
	$node->safe_psql('commerce', 'UPDATE commerce.inventory_levels SET reserved = reserved + 1, on_hand = on_hand + 1 '
		  . "WHERE variant_id = '$tenants[0]{variants}[0][0]'")
	  if ($ENV{MODEL_SABOTAGE} // 0) == $round;
	my $t1 = time;
	my @res = run_round(@cmds);
	$t_db += time - $t1;
	my %keys;
	$keys{"$_->{t}|" . ($_->{key} // '')}++ for @cmds;
	$races++ if @cmds > 1;
	my $why = '';
	my $fit;
	for my $perm (permutations(0 .. $#cmds))
	{
		my $st = dclone($state);
		$why = '';
		for my $i (@$perm)
		{
			my $c = $cmds[$i];
			$why = apply($st, $c, $res[$i], $c->{key} && $keys{"$c->{t}|$c->{key}"} > 1);
			last if $why;
		}
		if (!$why) { $fit = $st; last }
	}
	if (!$fit)
	{
		fail("round $round: the outcomes fit no order of the commands");
		diag("last mismatch: $why");
		diag(sprintf "  %-8s %s\n    => %s", $cmds[$_]{kind}, $cmds[$_]{sql}, encode_json($res[$_])) for 0 .. $#cmds;
		diag("replay: $replay");
		$failed = 1;
		last ROUND;
	}
	$state = $fit;
	push @order_ids, sort grep { !$known{$_}++ } keys %{ $state->{orders} };
	$outcomes{ $_->{err} // 'ok' }++ for @res;
	$ok_rounds++;
	if ($round % 50 == 0 || $round == $rounds)
	{
		my $bad = $node->safe_psql('commerce',
			"SELECT string_agg(invariant || ' ' || coalesce(object_id::text, '') || ' ' || detail, E'\\n') "
			  . 'FROM commerce.check_invariants(true)');
		if ($bad ne '')
		{
			fail("round $round: invariants broken");
			diag($bad);
			diag("replay: $replay");
			$failed = 1;
			last ROUND;
		}
	}
}
is($ok_rounds, $rounds, sprintf('%d rounds (%d with commands at once) fit the model in %.1f s', $ok_rounds,
	$races // 0, time - $t0));
diag(sprintf 'time in the database: %.1f s', $t_db);
diag('outcomes: ' . join(', ', map { "$_ × $outcomes{$_}" } sort keys %outcomes));

# The database agrees with the model, order by order and level by level.
SKIP:
{
	skip 'the model stopped early', 4 if $failed;
	my %db = map { my ($id, @f) = split /\|/; ($id => \@f) } split /\n/,
	  $node->safe_psql('commerce', 'SELECT id, tenant_id, status, version, total FROM commerce.orders');
	my @diff = grep {
		my $o = $state->{orders}{$_};
		my $d = $db{$_};
		!$d || $d->[0] ne $o->{t} || $d->[1] ne $o->{status} || $d->[2] != $o->{version} || $d->[3] != $o->{total}
	} keys %{ $state->{orders} };
	is(scalar @diff, 0, scalar(keys %{ $state->{orders} }) . ' orders as the model has them (tenant, status, version, total)')
	  or diag("differ: @diff[0 .. ($#diff > 4 ? 4 : $#diff)]; replay: $replay");
	is(scalar(keys %db), scalar(keys %{ $state->{orders} }), 'no order the model does not know');
	my %lvl = map { my ($v, @f) = split /\|/; ($v => \@f) } split /\n/,
	  $node->safe_psql('commerce', 'SELECT variant_id, on_hand, reserved, version FROM commerce.inventory_levels');
	my @sdiff = grep {
		my $m = $state->{stock}{$_};
		!$lvl{$_} || $lvl{$_}[0] != $m->[0] || $lvl{$_}[1] != $m->[1] || $lvl{$_}[2] != $m->[2]
	} keys %{ $state->{stock} };
	is(scalar @sdiff, 0, scalar(keys %{ $state->{stock} }) . ' stock levels as the model has them (on_hand, reserved, version)')
	  or diag(join '; ', map { "$_ db @{ $lvl{$_} // [] } model @{ $state->{stock}{$_} }" } @sdiff);
	is($node->safe_psql('commerce',
			"SELECT string_agg(invariant || ' ' || coalesce(object_id::text, '') || ' ' || detail, E'\\n') "
			  . 'FROM commerce.check_invariants(true)'),
		'', 'every invariant holds at the end');
}

for my $s (@sess)
{
	$s->{in} .= "\\q\n";
	eval { $s->{h}->finish };
}
$node->stop;
done_testing();
