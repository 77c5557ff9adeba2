#!/usr/bin/perl
# code-shape.pl — checks the shape rules of docs/design.md on the C code:
# no .c file over 700 lines, no function over 120 lines (PostgreSQL style:
# a body opens with "{" and closes with "}" in column 0), and no circle in
# the call graph between the files of the library (extension/ and
# bgworker/, read from the built objects with nm: a file that calls
# another may not be called back by it, directly or round a longer loop).
# Prints one line per breach and exits 1 if there is any; with -v also the
# longest functions. Run from the repository root after `make`.
use strict;
use warnings;

my $verbose = @ARGV && $ARGV[0] eq '-v';
my $max_file = 700;
my $max_func = 120;
my @breaches;
my @funcs;

for my $file (map { glob("$_/*.c") } qw(extension bgworker gateway))
{
	open my $fh, '<', $file or die "$file: $!";
	my @lines = <$fh>;
	close $fh;
	push @breaches, sprintf('file %s has %d lines (at most %d)', $file, scalar @lines, $max_file)
	  if @lines > $max_file;
	my ($start, $name);
	for my $i (0 .. $#lines)
	{
		if ($lines[$i] =~ /^\{/)
		{
			$start = $i;
			my $j = $i - 1;
			$j-- while $j > 0 && $lines[$j] !~ /^(\w+)\s*\(/;
			($name) = $lines[$j] =~ /^(\w+)/;
			$name //= '?';
		}
		elsif ($lines[$i] =~ /^\}/ && defined $start)
		{
			my $n = $i - $start + 1;
			push @funcs, [ $n, "$file:$name" ];
			push @breaches, sprintf('function %s:%s has %d lines (at most %d)', $file, $name, $n, $max_func)
			  if $n > $max_func;
			undef $start;
		}
	}
}

# The call graph between the library's objects.
my (%defined_in, %needs);
for my $obj (map { glob("$_/*.o") } qw(extension bgworker))
{
	(my $unit = $obj) =~ s/\.o$/.c/;
	for (`nm $obj`)
	{
		if (/^\S+\s+[TDBR]\s+(\S+)$/) { $defined_in{$1} = $unit }
		elsif (/^\s+U\s+(\S+)$/)      { push @{ $needs{$unit} }, $1 }
	}
}
die "no objects: run make first\n" unless %defined_in;
my %calls;
for my $unit (keys %needs)
{
	for my $sym (@{ $needs{$unit} })
	{
		my $to = $defined_in{$sym};
		$calls{$unit}{$to}{$sym} = 1 if defined $to && $to ne $unit;
	}
}
my (%state, @stack, %seen_cycle);
sub visit
{
	my ($unit) = @_;
	$state{$unit} = 1;
	push @stack, $unit;
	for my $to (sort keys %{ $calls{$unit} || {} })
	{
		if (($state{$to} // 0) == 1)
		{
			my $i = $#stack;
			$i-- while $stack[$i] ne $to;
			my @loop = (@stack[ $i .. $#stack ], $to);
			my $desc = join ' -> ',
			  map { "$loop[$_] (" . join(',', sort keys %{ $calls{ $loop[$_] }{ $loop[ $_ + 1 ] } }) . ')' } 0 .. $#loop - 1;
			push @breaches, "call circle: $desc -> $to" unless $seen_cycle{$desc}++;
		}
		elsif (!$state{$to}) { visit($to) }
	}
	pop @stack;
	$state{$unit} = 2;
}
visit($_) for sort keys %calls;

if ($verbose)
{
	printf "%4d %s\n", @$_ for (sort { $b->[0] <=> $a->[0] } @funcs)[0 .. 9];
}
print "$_\n" for @breaches;
print @breaches ? scalar(@breaches) . " breaches\n" : "code shape ok\n";
exit(@breaches ? 1 : 0);
