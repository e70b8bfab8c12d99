#!/usr/bin/perl
# Writes a small GeoLite2-Country.mmdb and GeoLite2-ASN.mmdb, in MaxMind's
# GeoLite2 layouts, into DIR for enrich_test: a few networks whose country
# and AS the test expects. Uses Debian's libmaxmind-db-writer-perl (the
# MaxMind DB writer; deploy/setup.sh installs it).
#
#   perl tests/make_geolite2.pl DIR
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift or die "usage: make_geolite2.pl DIR\n";
my %types = (
    country => 'map', registered_country => 'map', iso_code => 'utf8_string',
    geoname_id => 'uint32', names => 'map', en => 'utf8_string',
    autonomous_system_number => 'uint32',
    autonomous_system_organization => 'utf8_string',
);

sub write_db {
    my ($file, $type, $networks) = @_;
    my $tree = MaxMind::DB::Writer::Tree->new(
        ip_version => 6, record_size => 24, database_type => $type,
        languages => ['en'], description => { en => "darkscope test $type" },
        # The test's networks include documentation ranges.
        remove_reserved_networks => 0,
        map_key_type_callback => sub { $types{ $_[0] } },
    );
    $tree->insert_network($_->[0], $_->[1]) for @$networks;
    open my $fh, '>:raw', "$dir/$file" or die "open $dir/$file: $!\n";
    $tree->write_tree($fh);
    close $fh or die "close $dir/$file: $!\n";
}

sub country { return { iso_code => $_[0], names => { en => $_[1] } } }

write_db('GeoLite2-Country.mmdb', 'GeoLite2-Country', [
    ['126.0.0.0/8', { country => country('JP', 'Japan'),
                      registered_country => country('JP', 'Japan') }],
    ['2a01:4f8::/32', { country => country('DE', 'Germany') }],
    # No country, only where the range is registered.
    ['203.0.113.0/24', { registered_country => country('AU', 'Australia') }],
]);
write_db('GeoLite2-ASN.mmdb', 'GeoLite2-ASN', [
    ['126.0.0.0/8', { autonomous_system_number => 17676,
                      autonomous_system_organization => 'SoftBank Corp.' }],
    ['2a01:4f8::/32', { autonomous_system_number => 24940,
                        autonomous_system_organization => 'Hetzner Online GmbH' }],
]);
