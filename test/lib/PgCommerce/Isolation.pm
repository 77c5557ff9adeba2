# test/lib/PgCommerce/Isolation.pm — the isolation suite of issue 11 as
# two calls, so that it runs on any database holding the extension: a
# fresh one (test/t/012_isolation_suite.pl) and one restored from a full
# pg_dump (test/t/004_dump_restore.pl).
#   seed_isolation_tenants($node, $db): roles iso_a, iso_b (bound to tenants
#     iso-a and iso-b, each with a row in every area through
#     test/fixtures/tenant_seed.sql, and in every table of the example
#     plugin when extension loyalty is installed) and iso_ops (a
#     commerce_admin member); the tenants' ids in public.seeded.
#   isolation_suite($node, $db): a partner's login role bound to tenant A
#     attacks tenant B through real connections:
#   1. every tenant table (SELECT, INSERT, UPDATE, DELETE, TRUNCATE, COPY),
#      and every function it may execute, enumerated from the catalogue, called
#      with each of B's ids: nothing of B comes back, B's rows are unchanged;
#      tenant tables are those with the tenant_isolation policy in any schema
#      (plugins' included), functions those of schema commerce and of every
#      other schema holding a tenant table;
#   2. every way to switch tenant: connection options, GUCs, set_context,
#      SET ROLE, SET SESSION AUTHORIZATION, its own SECURITY DEFINER
#      function, an operator's SECURITY DEFINER helper, and objects that
#      shadow operators, functions and types in its own schema and pg_temp;
#   3. statistics views;
#   4. locks: table locks, row locks and advisory locks against B's
#      commands and the publisher;
#   5. its tenant suspended: every command it may execute refuses, nothing
#      is written by any path.
#   It creates schemas iso, a_space and ops in $db and leaves A suspended.
# LISTEN and forged NOTIFY are in test/t/150; the per-table attacks and
# error texts in test/sql/isolation_attacks.sql; COPY in test/t/003.
package PgCommerce::Isolation;

use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(repo_path);

our @EXPORT_OK = qw(seed_isolation_tenants isolation_suite);

sub seed_isolation_tenants
{
	my ($node, $db) = @_;
	my $fixture = repo_path('test/fixtures/tenant_seed.sql');
	$node->safe_psql($db, qq{
		CREATE ROLE iso_a LOGIN;
		CREATE ROLE iso_b LOGIN;
		CREATE ROLE iso_ops LOGIN IN ROLE commerce_admin;
		\\i $fixture
		-- the fixture's subscription handler runs as commerce_gateway
		GRANT USAGE ON SCHEMA seed_test TO PUBLIC;
		-- The tenants and their platform rows first, committed in their own
		-- transaction (psql runs each statement in its own), then filled:
		-- the operator's order on Citus (docs/scaling.md); the storefront's
		-- cart in a transaction of its own too. The workers publish and
		-- deliver the seeded events.
		CREATE TABLE public.seeded_tenants AS
		  SELECT seed_test.create_tenant('iso-a') AS a, seed_test.create_tenant('iso-b') AS b;
		CREATE TABLE public.seeded AS
		  SELECT seed_test.fill_tenant(a, 'iso-a') AS a, seed_test.fill_tenant(b, 'iso-b') AS b
		    FROM public.seeded_tenants;
		DROP TABLE public.seeded_tenants;
		UPDATE public.seeded SET a = seed_test.fill_storefront(a, 'iso-a'), b = seed_test.fill_storefront(b, 'iso-b');
		SELECT commerce.bind_role('iso_a', (SELECT (a->>'tenant')::uuid FROM public.seeded));
		SELECT commerce.bind_role('iso_b', (SELECT (b->>'tenant')::uuid FROM public.seeded));
	});
	# The example plugin, when installed: each tenant enables it and has a
	# row in each of its tables (settings, an award and an account).
	$node->safe_psql($db, q{
		DO $$
		DECLARE s record;
		BEGIN
		  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'loyalty') THEN RETURN; END IF;
		  FOR s IN SELECT x.ids FROM public.seeded, LATERAL (VALUES (a), (b)) x(ids) LOOP
		    PERFORM commerce.set_context((s.ids->>'tenant')::uuid, 'seed', 'staff');
		    PERFORM commerce.enable_plugin('loyalty');
		    PERFORM loyalty.set_settings('{"points_per_unit": 2}');
		    PERFORM loyalty.award(jsonb_build_object('aggregate_id', s.ids->>'order',
		              'data', jsonb_build_object('customer_id', s.ids->>'customer', 'total', 2468)));
		  END LOOP;
		END $$;
	});
	return;
}

sub isolation_suite
{
	my ($node, $db) = @_;
	# A database-level grant: not in a dump made without --create.
	$node->safe_psql($db, "GRANT CREATE ON DATABASE $db TO iso_a");
	my %a = split /\|/, $node->safe_psql($db,
		"SELECT string_agg(key || '|' || value, '|') FROM public.seeded, jsonb_each_text(a)");
	my %b = split /\|/, $node->safe_psql($db,
		"SELECT string_agg(key || '|' || value, '|') FROM public.seeded, jsonb_each_text(b)");
	ok(keys %b >= 10, 'tenant B is seeded with a row in every area (' . join(', ', sort keys %b) . ')');
	# Through a Citus coordinator (test/t/801) a few refusals take another
	# form (docs/scaling.md, "The isolation suite on Citus"); never a leak.
	my $citus = $node->safe_psql($db, "SELECT count(*) FROM pg_extension WHERE extname = 'citus'") eq '1';

	# Everything of B a leak would show: its ids and its slug (in its emails,
	# names and event data).
	my @b_markers = ('iso-b', values %b);

	my $psql_as = sub
	{
		my ($role, $sql, %opts) = @_;
		return $node->psql($db, $sql, extra_params => [ '-U', $role, '-v', 'VERBOSITY=verbose' ], %opts);
	};

	# $calls_as->($role, [fn, id], ...): iso.try_call(fn, id) for each pair,
	# all in one connection of $role, each call after DISCARD ALL so that it
	# starts from a fresh session's state (GUCs, temporary tables, prepared
	# statements and plans, advisory locks, LISTEN). A psql per call, as
	# before, cost ~0.4 s each (~220 of them) where the call itself takes
	# ~10 ms. Returns (psql's exit code, its stderr, [each call's answer]);
	# a call psql did not get to (an error try_call did not catch stops the
	# session) has no answer, which the checks below count as a failure.
	my $calls_as = sub
	{
		my ($role, @pairs) = @_;
		my $sql = join '', map {
			"DISCARD ALL;\nSELECT format('\@\@call %s\@\@%s', $_, iso.try_call('$pairs[$_][0]', '$pairs[$_][1]'));\n"
		} 0 .. $#pairs;
		my ($ret, $out, $err) = $psql_as->($role, $sql);
		my @answers;
		$answers[$1] = $2 while $out =~ /^\@\@call (\d+)\@\@(.*?)(?=\n\@\@call \d+\@\@|\z)/msg;
		return ($ret, $err, \@answers);
	};

	# B's rows, as the superuser sees them, in every tenant table; published
	# and delivered first, so the workers change nothing while we compare.
	my $wait_quiet = sub
	{
		$node->poll_query_until($db,
			"SELECT NOT EXISTS (SELECT 1 FROM commerce.outbox WHERE seq IS NULL)"
			  . " AND NOT EXISTS (SELECT 1 FROM commerce.deliveries WHERE status = 'pending')")
		  or die 'the workers did not settle';
	};
	my $b_snapshot_sql = q{
		SELECT string_agg(format('%s %s', c.oid::regclass,
		                         (xpath('/row/h/text()', query_to_xml(format(
		                           'SELECT md5(coalesce(string_agg(t::text, '','' ORDER BY t::text), '''')) AS h FROM %s t WHERE tenant_id = %L',
		                           c.oid::regclass, '} . $b{tenant} . q{'), false, true, '')))[1]::text), E'\n' ORDER BY c.oid::regclass::text)
		  FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = 'tenant_isolation'};
	$wait_quiet->();
	my $b_before = $node->safe_psql($db, $b_snapshot_sql);

	# --- 1. every tenant table, from the catalogue ------------------------------
	# Every schema's (a plugin's tables too), qualified: schema.table|table.
	my @tables = split /\n/, $node->safe_psql($db, q{
		SELECT format('%I.%I|%s', n.nspname, c.relname, c.relname)
		  FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = 'tenant_isolation'
		  JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY 1});
	ok(@tables >= 15, scalar(@tables) . ' tenant tables (' . join(', ', grep { !/^commerce\./ } map { (split /\|/)[0] } @tables) . ' outside schema commerce)');
	# All tables in one connection (a psql per table cost ~0.3 s each):
	# each table's part of stdout and stderr starts with its own marker;
	# psql takes the refused COPY's data, none, up to the \. line.
	my @table_problems;
	my ($tret, $tout, $terr) = $psql_as->('iso_a', join('', map {
		my ($t) = split /\|/, $tables[$_];
		qq{\\echo \@\@table $_\@\@
			\\warn \@\@table $_\@\@
			SELECT count(*) FROM $t WHERE tenant_id = '$b{tenant}';
			INSERT INTO $t (tenant_id) VALUES ('$b{tenant}');
			UPDATE $t SET tenant_id = tenant_id;
			DELETE FROM $t;
			TRUNCATE $t;
			COPY $t (tenant_id) FROM STDIN;
\\.
}
	} 0 .. $#tables), on_error_stop => 0);
	my (%tout, %terr);
	$tout{$1} = $2 while $tout =~ /^\@\@table (\d+)\@\@\n?(.*?)(?=^\@\@table \d+\@\@|\z)/msg;
	$terr{$1} = $2 while $terr =~ /^\@\@table (\d+)\@\@\n?(.*?)(?=^\@\@table \d+\@\@|\z)/msg;
	for my $i (0 .. $#tables)
	{
		my ($t, $relname) = split /\|/, $tables[$i];
		my ($out, $err) = ($tout{$i} // '(no output)', $terr{$i} // '');
		$out =~ s/\n\z//;
		my $refused = () = $err =~ /permission denied for table $relname/g;
		push @table_problems, "$t: $out / $refused refusals: $err" unless $out eq '0' && $refused == 5;
	}
	is(join("\n", @table_problems), '', 'every tenant table: B\'s rows invisible; INSERT, UPDATE, DELETE, TRUNCATE, COPY FROM refused');

	# --- every executable function with each of B's ids -------------------------
	# try_call(fn, id): the function called with id in every uuid argument,
	# '{}' for jsonb, 1 for integers, a fresh random string for text (so each
	# call has its own idempotency key) and NULL for the rest; its result as
	# text, or its error.
	$node->safe_psql($db, q{
		CREATE SCHEMA iso;
		GRANT USAGE ON SCHEMA iso TO PUBLIC;
		CREATE FUNCTION iso.try_call(fn regprocedure, id uuid) RETURNS text LANGUAGE plpgsql AS $$
		DECLARE
		  args text;
		  result text;
		  state text;
		  msg text;
		  detail text;
		BEGIN
		  SELECT coalesce(string_agg(CASE WHEN t = 'uuid'::regtype THEN quote_literal(id) || '::uuid'
		                                  WHEN t = 'jsonb'::regtype THEN '''{}''::jsonb'
		                                  WHEN t IN ('bigint'::regtype, 'integer'::regtype) THEN '1'
		                                  WHEN t = 'text'::regtype THEN quote_literal(md5(random()::text))
		                                  ELSE 'NULL::' || t::regtype::text END, ', ' ORDER BY n), '')
		    INTO args
		    FROM pg_proc p, unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, n)
		   WHERE p.oid = fn;
		  EXECUTE format('SELECT coalesce(string_agg(r::text, '',''), '''') FROM (SELECT %s(%s) AS r) s',
		                 (SELECT p.oid::regproc::text FROM pg_proc p WHERE p.oid = fn), args) INTO result;
		  RETURN 'ok ' || result;
		EXCEPTION WHEN OTHERS THEN
		  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
		  RETURN 'error ' || state || ' ' || msg || ' ' || coalesce(detail, '');
		END $$;
		CREATE VIEW iso.attack_functions AS
		  SELECT p.oid::regprocedure AS fn, p.proname::text AS name,
		         'uuid'::regtype = ANY (p.proargtypes::oid[]) AS takes_id,
		         p.provolatile = 'v' AND p.prosecdef AS command
		    FROM pg_proc p
		   WHERE (p.pronamespace = 'commerce'::regnamespace
		          OR p.pronamespace IN (SELECT c.relnamespace FROM pg_class c
		                                  JOIN pg_policy y ON y.polrelid = c.oid AND y.polname = 'tenant_isolation'
		                                 WHERE c.relnamespace NOT IN ('public'::regnamespace, 'pg_catalog'::regnamespace)))
		     AND has_function_privilege('iso_a', p.oid, 'EXECUTE')
		     AND p.prorettype <> 'trigger'::regtype;
		GRANT SELECT ON iso.attack_functions TO PUBLIC;
	});
	my @functions = split /\n/, $node->safe_psql($db,
		"SELECT fn || '|' || takes_id FROM iso.attack_functions ORDER BY 1");
	ok(@functions >= 60, scalar(@functions) . ' functions partner A may execute, from the catalogue');

	my (@leaks, $calls);
	my @pairs;
	for my $line (@functions)
	{
		my ($fn, $takes_id) = split /\|/, $line;
		my @ids = $takes_id eq 'true' ? sort values %b : ('00000000-0000-7000-8000-000000000000');
		push @pairs, map { [ $fn, $_ ] } @ids;
	}
	my ($calls_ret, $calls_err, $answers) = $calls_as->('iso_a', @pairs);
	push @leaks, "psql failed: $calls_err" if $calls_ret != 0;
	for my $i (0 .. $#pairs)
	{
		my ($fn, $id) = @{ $pairs[$i] };
		my $out = $answers->[$i];
		$calls++;
		push @leaks, "$fn($id): no answer" unless defined $out;
		$out //= '';
		for my $marker (@b_markers)
		{
			next if $marker eq $id;
			push @leaks, "$fn($id) shows B's $marker: $out" if index($out, $marker) >= 0;
		}
	}
	ok($calls > 500, "$calls calls, each function taking an id called with every one of B's ids");
	is(join("\n", @leaks), '', "none shows anything of B");
	$wait_quiet->();
	is($node->safe_psql($db, $b_snapshot_sql), $b_before, "and every row of B is as it was");

	# --- 2. every way to switch tenant ------------------------------------------
	my $b_customers = "SELECT count(*) FROM commerce.customers WHERE tenant_id = '$b{tenant}'";
	{
		local $ENV{PGOPTIONS} = "-c commerce.tenant_id=$b{tenant} -c commerce.actor=staff";
		my ($ret, $out) = $psql_as->('iso_a', "SELECT commerce.current_tenant(); $b_customers");
		is($out, "$a{tenant}\n0", 'connection options naming B: still A, no B row');
	}
	my ($ret, $out, $err) = $psql_as->('iso_a', qq{
		SET commerce.tenant_id = '$b{tenant}';
		SELECT set_config('commerce.tenant_id', '$b{tenant}', false);
		SELECT commerce.current_tenant();
		$b_customers;
	});
	like($out, qr/\Q$a{tenant}\E\n0$/, 'SET and set_config of the context GUC: still A, no B row');
	($ret, $out, $err) = $psql_as->('iso_a', "SELECT commerce.set_context('$b{tenant}')");
	like($err, qr/42501.*permission denied to set the tenant context/s, 'set_context: refused');
	($ret, $out, $err) = $psql_as->('iso_a', 'SET ROLE iso_b');
	like($err, qr/42501.*permission denied to set role "iso_b"/s, 'SET ROLE to B\'s role: refused');
	($ret, $out, $err) = $psql_as->('iso_a', 'SET SESSION AUTHORIZATION iso_b');
	like($err, qr/42501.*permission denied to set session authorization/s, 'SET SESSION AUTHORIZATION: refused');

	# Its own SECURITY DEFINER function, and an operator's helper that runs as
	# a commerce_admin member (which may choose a tenant): the tenant is the
	# caller's, whatever the context GUC says.
	$psql_as->('iso_a', q{CREATE SCHEMA a_space;
		CREATE FUNCTION a_space.count_customers() RETURNS bigint LANGUAGE sql SECURITY DEFINER
		  AS $$ SELECT count(*) FROM commerce.customers $$;});
	$node->safe_psql($db, q{
		CREATE SCHEMA ops;
		GRANT USAGE ON SCHEMA ops TO PUBLIC;
		CREATE FUNCTION ops.customer_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
		  AS $$ SELECT count(*) FROM commerce.customers $$;
		ALTER FUNCTION ops.customer_count() OWNER TO iso_ops;});
	($ret, $out, $err) = $psql_as->('iso_a', qq{
		SET commerce.tenant_id = '$b{tenant}';
		SELECT a_space.count_customers(), ops.customer_count();});
	# (on Citus the operator's helper reads the shards as iso_ops, with no
	# tenant context there: it sees none)
	is($out, $citus ? '1|0' : '1|1', 'own and an operator\'s SECURITY DEFINER functions: A\'s one customer, never B\'s');

	# Shadowing: A's own schema first in search_path, then pg_temp, then
	# pg_catalog, holding an = operator for uuid that always matches and logs,
	# current_tenant() answering B, and a temp table named jsonb (a type).
	($ret, $out, $err) = $psql_as->('iso_a', qq{
		CREATE TABLE a_space.seen (what text);
		CREATE FUNCTION a_space.uuid_eq_log(uuid, uuid) RETURNS boolean LANGUAGE plpgsql AS
		  \$\$ BEGIN INSERT INTO a_space.seen VALUES ('=' || \$1 || \$2); RETURN true; END \$\$;
		CREATE OPERATOR a_space.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = a_space.uuid_eq_log);
		CREATE FUNCTION a_space.current_tenant() RETURNS uuid LANGUAGE sql AS \$\$ SELECT '$b{tenant}'::pg_catalog.uuid \$\$;
		CREATE TEMP TABLE jsonb (x int);
		CREATE TEMP TABLE uuid (x int);
		SET search_path = a_space, pg_temp, pg_catalog, commerce;
		SELECT count(*) FROM commerce.customers WHERE tenant_id = current_tenant();
		SELECT count(*) > 0 FROM a_space.seen;
		TRUNCATE a_space.seen;
		SELECT commerce.create_product('{"title": "Shadowed"}') ->> 'title';
		SELECT commerce.get_customer('$a{customer}') ->> 'email';
		SELECT commerce.get_customer('$b{customer}');
	}, on_error_stop => 0);
	# On Citus A's own query cannot run: its operator exists on the
	# coordinator only, and the shards are queried on the workers.
	like($out, $citus ? qr/^f\nShadowed\niso-a-secret\@example.com$/ : qr/^1\nt\nShadowed\niso-a-secret\@example.com$/,
		'shadowing objects: A\'s query with an = that matches every row and a current_tenant() naming B sees A\'s one customer only; commands still work for A');
	like($err, qr/42883.*operator does not exist: uuid a_space\.= uuid/s,
		'on Citus, A\'s query with its own = is refused on the workers') if $citus;
	like($err, qr/P0002.*customer \Q$b{customer}\E does not exist/s, 'and B\'s customer is not found');
	is($node->safe_psql($db, 'SELECT count(*) FROM a_space.seen'), '0',
		'no command ran the shadowing operator (search_path pinned, pg_temp last)');

	# --- 3. statistics -------------------------------------------------------------
	$node->safe_psql($db, 'ANALYZE');
	my $b_session = $node->background_psql($db, extra_params => [ '-U', 'iso_b' ]);
	$b_session->query_safe("BEGIN; SELECT count(*) FROM commerce.customers WHERE email = 'iso-b-secret\@example.com'");
	($ret, $out) = $psql_as->('iso_a', q{
		SELECT count(*) FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename
		 WHERE s.schemaname = 'commerce' AND c.relnamespace = 'commerce'::regnamespace AND c.relrowsecurity;
		SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%iso-b-secret%';
		SELECT count(*) FROM pg_stat_activity WHERE usename = 'iso_b' AND query = '<insufficient privilege>';});
	is($out, "0\n0\n1", 'pg_stats shows no table under row-level security; pg_stat_activity hides B\'s query text');
	$b_session->query_safe('ROLLBACK');

	# --- 4. locks --------------------------------------------------------------------
	for my $mode ('ACCESS EXCLUSIVE', 'EXCLUSIVE', 'SHARE ROW EXCLUSIVE', 'SHARE', 'SHARE UPDATE EXCLUSIVE', 'ROW EXCLUSIVE', 'ROW SHARE')
	{
		($ret, $out, $err) = $psql_as->('iso_a', "BEGIN; LOCK TABLE commerce.orders IN $mode MODE; ROLLBACK;");
		like($err, qr/42501.*permission denied for table orders/s, "LOCK TABLE commerce.orders IN $mode MODE: refused");
	}
	for my $clause ('FOR UPDATE', 'FOR NO KEY UPDATE', 'FOR SHARE', 'FOR KEY SHARE')
	{
		($ret, $out, $err) = $psql_as->('iso_a', "SELECT 1 FROM commerce.inventory_levels $clause");
		like($err, $citus ? qr/42501.*permission denied for table inventory_levels|0A000.*could not run distributed query with FOR UPDATE\/SHARE/s
			: qr/42501.*permission denied for table inventory_levels/s, "SELECT ... $clause: refused");
		next unless $citus;
		# on Citus the same on B's shard, which Citus routes
		($ret, $out, $err) = $psql_as->('iso_a', "SELECT 1 FROM commerce.inventory_levels WHERE tenant_id = '$b{tenant}' $clause");
		like($err, qr/42501.*permission denied for table inventory_levels/s, "SELECT ... WHERE tenant_id = B $clause: refused");
	}
	# What A may hold (ACCESS SHARE, advisory locks of every form, also the
	# publisher's old key) does not stop B's checkout or the publisher.
	my $holder = $node->background_psql($db, extra_params => [ '-U', 'iso_a' ]);
	$holder->query_safe('BEGIN');
	$holder->query_safe('LOCK TABLE commerce.orders, commerce.inventory_levels, commerce.outbox IN ACCESS SHARE MODE');
	$holder->query_safe('SELECT pg_advisory_lock(1885823745, k) FROM generate_series(0, 3) k');
	$holder->query_safe('SELECT pg_advisory_lock(k) FROM generate_series(0, 100) k');
	$node->safe_psql($db, q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	                                WHERE backend_type LIKE 'pgcommerce%publisher%'
	                                  AND datname = current_database()});
	($ret, $out, $err) = $psql_as->('iso_b', qq{SET statement_timeout = '10s';
		SELECT commerce.checkout(jsonb_build_object('currency', 'EUR', 'customer_id', '$b{customer}',
		  'lines', jsonb_build_array(jsonb_build_object('variant_id', '$b{variant}', 'quantity', 1)))) ->> 'status'},
		on_error_stop => 1);
	is($out, 'placed', 'B checks out while A holds every lock it can take');
	ok($node->poll_query_until($db,
			"SELECT count(*) > 0 FROM commerce.outbox WHERE tenant_id = '$b{tenant}' AND type = 'order.placed' AND seq IS NOT NULL"),
		'and B\'s order.placed is published by a restarted publisher');
	$holder->query_safe('ROLLBACK');
	$holder->quit;
	$b_session->quit;

	# --- LISTEN on the other channels: tenant changes tell no tenant id ----------------
	my $listener = $node->background_psql($db, extra_params => [ '-U', 'iso_a' ]);
	$listener->query_safe('LISTEN commerce_tenants');
	$node->safe_psql($db, "SELECT commerce.suspend_tenant('$b{tenant}'); SELECT commerce.activate_tenant('$b{tenant}')");
	my $heard = '';
	for (1 .. 20)
	{
		$heard .= $listener->query_safe('SELECT 1');
		$heard .= $listener->{stderr} // '';
		last if $heard =~ /commerce_tenants/;
		select(undef, undef, undef, 0.25);
	}
	like($heard, qr/notification "commerce_tenants" received/, 'A hears that some tenant changed');
	unlike($heard, qr/\Q$b{tenant}\E/, 'but not which one');
	$listener->quit;

	# --- 5. a suspended tenant changes nothing, by any path ---------------------------
	$wait_quiet->();
	my $a_snapshot_sql = $b_snapshot_sql =~ s/\Q$b{tenant}\E/$a{tenant}/r;
	my $a_before = $node->safe_psql($db, $a_snapshot_sql);
	$node->safe_psql($db, "SELECT commerce.suspend_tenant('$a{tenant}')");
	my @commands = split /\n/, $node->safe_psql($db,
		'SELECT fn FROM iso.attack_functions WHERE command ORDER BY 1');
	ok(@commands >= 40, scalar(@commands) . ' commands from the catalogue');
	my @not_refused;
	my @command_calls = map { my $fn = $_; map { [ $fn, $_ ] } $a{product}, $a{order}, $a{customer}, $a{variant}, $a{payment} } @commands;
	($ret, $err, my $refusals) = $calls_as->('iso_a', @command_calls);
	for my $i (0 .. $#command_calls)
	{
		my $out = $refusals->[$i] // "no answer (psql: $ret $err)";
		push @not_refused, "$command_calls[$i][0]($command_calls[$i][1]): $out" unless $out =~ /^error 42501 tenant is suspended/;
	}
	is(join("\n", @not_refused), '', 'suspended: every command refuses with tenant_suspended');
	for my $table (qw(products orders inventory_levels payments outbox_written outbox_published idempotency_keys))
	{
		($ret, $out, $err) = $psql_as->('iso_a', "UPDATE commerce.$table SET tenant_id = tenant_id");
		like($err, qr/42501.*permission denied/s, "suspended: UPDATE commerce.$table refused");
	}
	$wait_quiet->();
	is($node->safe_psql($db, $a_snapshot_sql), $a_before, 'suspended: not one row of A changed');

	return;
}

1;
