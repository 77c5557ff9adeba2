# test/lib/PgCommerce/Gateway.pm — helpers for the gateway TAP suites: start
# the gateway binary under test ($ENV{PGCOMMERCE_GATEWAY}, the ASan build in
# `make test`) against a PostgreSQL::Test::Cluster node, talk HTTP to it on
# loopback with HTTP::Tiny, mint HS256 tokens, and stop it with SIGTERM while
# checking it exits 0 with no sanitizer report; read its event streams
# (open_stream, stream_events, wait_events).
package PgCommerce::Gateway;

use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use MIME::Base64 qw(encode_base64url);
use Digest::SHA qw(hmac_sha256 hmac_sha384);
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT_OK = qw(start_gateway gateway_role make_jwt json_body stream_events wait_events);

our $SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

# gateway_role($node, $db) — a login role that is a member of
# commerce_gateway (created once per node).
sub gateway_role
{
	my ($node) = @_;
	$node->safe_psql('postgres', q{
		DO $$ BEGIN
		  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gw') THEN
		    CREATE ROLE gw LOGIN;
		  END IF;
		  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'commerce_gateway') THEN
		    GRANT commerce_gateway TO gw;
		  END IF;
		END $$;});
	return 'gw';
}

# start_gateway($node, %opts) — start the gateway; returns a handle object.
# opts: db (default commerce), user, env => {NAME => value}, wait => 0 to
# skip waiting for /healthz and the routes, wait => 'healthz' to wait for
# /healthz only (a database with no route table: the route wait would last
# its whole 30 s), stdout_pipe => 1 (see below).
sub start_gateway
{
	my ($node, %opts) = @_;
	my $self = bless { out => '', err => '' }, __PACKAGE__;
	my $db = $opts{db} // 'commerce';
	my $user = $opts{user} // gateway_role($node);
	$self->{port} = PostgreSQL::Test::Cluster::get_free_port();
	$self->{base} = "http://127.0.0.1:$self->{port}";
	my %env = (
		PGCOMMERCE_DATABASE_URL => 'host=' . $node->host . ' port=' . $node->port
		  . " dbname=$db user=$user",
		PGCOMMERCE_LISTEN => "127.0.0.1:$self->{port}",
		PGCOMMERCE_JWT_SECRET => $SECRET,
		PGCOMMERCE_POOL_SIZE => 4,
		%{ $opts{env} // {} });
	local %ENV = %ENV;
	delete $ENV{$_} for grep { /^PGCOMMERCE_/ && $_ ne 'PGCOMMERCE_GATEWAY' && $_ ne 'PGCOMMERCE_REPO' } keys %ENV;
	for my $k (keys %env)
	{
		if (defined $env{$k}) { $ENV{$k} = $env{$k} } else { delete $ENV{$k} }
	}
	# Output goes to files, never to a pipe: a test busy elsewhere must not
	# stall the gateway on a full pipe.
	my $dir = PostgreSQL::Test::Utils::tempdir();
	$self->{outfile} = "$dir/gateway.out";
	$self->{errfile} = "$dir/gateway.err";
	# stdout_pipe => 1: stdout into a pipe this test only reads at stop.
	$self->{h} = IPC::Run::start([ $ENV{PGCOMMERCE_GATEWAY} ],
		'<', \undef, '>', ($opts{stdout_pipe} ? \$self->{piped} : $self->{outfile}),
		'2>', $self->{errfile});
	$self->{http} = HTTP::Tiny->new(timeout => 30, keep_alive => 0);
	return $self if defined $opts{wait} && !$opts{wait};
	my $deadline = time + 30;
	while (time < $deadline)
	{
		$self->pump;
		die "gateway exited at start: $self->{err}" unless $self->alive;
		my $r = $self->{http}->get("$self->{base}/healthz");
		last if $r->{status} == 200;
		sleep 0.05;
	}
	die "gateway did not answer /healthz within 30 s: $self->{err}" unless time < $deadline;
	return $self if $opts{wait} && $opts{wait} eq 'healthz';
	# and its routes loaded (before, a route answers 503 routes_not_loaded),
	# unless /readyz has another reason (the database down, say)
	while (time < $deadline)
	{
		my $r = $self->{http}->get("$self->{base}/readyz");
		last unless $r->{status} == 503 && ($r->{content} // '') =~ /"routes_not_loaded"/;
		sleep 0.05;
	}
	return $self;
}

sub base { $_[0]{base} }

# The gateway process is still running.
sub alive
{
	my ($self) = @_;
	my $pid = $self->{h}{KIDS}[0]{PID};
	return $pid && slurp_proc_state($pid) !~ /^[ZX]$/;
}

sub slurp_proc_state
{
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return 'Z';
	my $line = <$fh>;
	close $fh;
	return $line =~ /\) (\S)/ ? $1 : 'Z';
}
sub port { $_[0]{port} }

sub pump
{
	my ($self) = @_;
	for my $k ('out', 'err')
	{
		my $f = $self->{"${k}file"};
		$self->{$k} = -e $f ? PostgreSQL::Test::Utils::slurp_file($f) : '';
	}
	return;
}

sub stdout { my ($self) = @_; $self->pump; return $self->{out} }
sub stderr { my ($self) = @_; $self->pump; return $self->{err} }

# Decoded JSON log lines printed so far.
sub log_lines
{
	my ($self) = @_;
	my @lines;
	for my $l (split /\n/, $self->stdout)
	{
		my $j = eval { decode_json($l) };
		push @lines, $j if $j;
	}
	return @lines;
}

# request($method, $path, %opts): headers => {}, body => string or ref
# (encoded as JSON), token => jwt. Returns the HTTP::Tiny response plus
# {json} when the body is JSON.
sub request
{
	my ($self, $method, $path, %opts) = @_;
	my %headers = %{ $opts{headers} // {} };
	$headers{Authorization} = "Bearer $opts{token}" if defined $opts{token};
	my $content = $opts{body};
	if (ref $content)
	{
		$content = encode_json($content);
		$headers{'Content-Type'} //= 'application/json';
	}
	my $r = $self->{http}->request($method, $self->{base} . $path,
		{ headers => \%headers, (defined $content ? (content => $content) : ()) });
	$r->{json} = eval { decode_json($r->{content}) } if length($r->{content} // '');
	$self->pump;
	return $r;
}

sub get { my ($self, $path, %o) = @_; return $self->request('GET', $path, %o) }
sub post { my ($self, $path, %o) = @_; return $self->request('POST', $path, %o) }

# stop() — SIGTERM, wait for exit; returns the exit code. Asserts no
# sanitizer report.
sub stop
{
	my ($self, %opts) = @_;
	my $h = $self->{h};
	$h->signal('TERM');
	my $t = IPC::Run::timeout($opts{timeout} // 60);
	eval { $h->finish($t) };
	if ($@)
	{
		$h->kill_kill;
		fail("gateway stops on SIGTERM: $@");
	}
	$self->pump;
	my $code = $h->full_result;
	my $exit = ($code & 127) ? 128 + ($code & 127) : $code >> 8;
	unlike($self->{err}, qr/Sanitizer|runtime error:|leak/i, 'gateway: no sanitizer report')
	  or diag($self->{err});
	return $exit;
}

# make_jwt(\%claims, secret => ..., alg => ..., header => {...}) — a token
# signed with HMAC (HS256 unless alg says HS384 or none).
sub make_jwt
{
	my ($claims, %o) = @_;
	my $alg = $o{alg} // 'HS256';
	my $header = $o{header} // { alg => $alg, typ => 'JWT' };
	my $json = JSON::PP->new->canonical;
	my $signing = encode_base64url($json->encode($header)) . '.' . encode_base64url($json->encode($claims));
	my $secret = $o{secret} // $SECRET;
	my $sig = $alg eq 'HS384' ? hmac_sha384($signing, $secret)
	  : $alg eq 'none' ? '' : hmac_sha256($signing, $secret);
	return $signing . '.' . encode_base64url($sig);
}

sub json_body { my ($r) = @_; return $r->{json} }

# $gw->open_stream($token, %headers) — GET /v1/events/stream read by curl
# in the background; returns a stream handle for stream_events and
# wait_events (finish it with $s->{h}->finish or kill_kill).
my $nstreams = 0;
sub open_stream
{
	my ($self, $token, %h) = @_;
	my $file = PostgreSQL::Test::Utils::tempdir() . '/stream' . ++$nstreams;
	my $s = { out => '', file => $file, pos => 0, events => [], seen => '' };
	my @hdr = map { ('-H', "$_: $h{$_}") } keys %h;
	# curl writes to a file, so the reader never stalls on a pipe.
	$s->{h} = IPC::Run::start([ 'curl', '-sN', '-o', $file, '-H', "Authorization: Bearer $token", @hdr,
		$self->base . '/v1/events/stream' ], '<', \undef, '>', \my $o, '2>', \my $err);
	return $s;
}

# stream_events($s) — the events the stream got so far, each {seq, type,
# env}; comment lines (heartbeats, ": stream open") go to $s->{seen}.
sub stream_events
{
	my ($s) = @_;
	if (open(my $fh, '<', $s->{file}))
	{
		seek($fh, $s->{pos}, 0);
		local $/;
		my $more = <$fh> // '';
		$s->{pos} += length $more;
		$s->{out} .= $more;
		close $fh;
	}
	my $pos = 0;
	while (1)
	{
		if ($s->{out} =~ /\G(: [^\n]*\n\n)/gc) { $s->{seen} .= $1; $pos = pos($s->{out}); next }
		if ($s->{out} =~ /\Gid: (\d+)\nevent: ([^\n]+)\ndata: ([^\n]+)\n\n/gc)
		{
			push @{ $s->{events} }, { seq => $1, type => $2, env => decode_json($3) };
			$pos = pos($s->{out});
			next;
		}
		last;
	}
	substr($s->{out}, 0, $pos) = '';
	return @{ $s->{events} };
}

# wait_events($s, $n, $secs) — stream_events once at least $n came, or
# after $secs (20 by default).
sub wait_events
{
	my ($s, $n, $secs) = @_;
	my $t0 = time;
	my @ev;
	while (time - $t0 < ($secs // 20)) { @ev = stream_events($s); last if @ev >= $n; sleep 0.05 }
	return @ev;
}

1;
