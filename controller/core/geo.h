/*
 * geo.h - distances and bearings on the WGS84 ellipsoid's mean sphere.
 *
 * Haversine on a sphere of radius 6371008.8 m (the IUGG mean radius).  Error
 * against the ellipsoid is at most about 0.5% (typically 0.1-0.3%): under
 * 1 m over the 100-200 m that stop radii and route corridors use, which is
 * below consumer GPS noise.  See docs/plans.md.
 */
#ifndef VAN_CORE_GEO_H
#define VAN_CORE_GEO_H

#define GEO_EARTH_RADIUS_M 6371008.8

/* Great-circle distance in metres between two lat/lon points in degrees. */
double geo_distance_m(double lat1, double lon1, double lat2, double lon2);
/* Initial bearing from point 1 to point 2, degrees 0..360 (0 = north). */
double geo_bearing_deg(double lat1, double lon1, double lat2, double lon2);
/* Smallest absolute difference between two headings, 0..180 degrees. */
double geo_heading_diff(double a_deg, double b_deg);
/* Distance in metres from point P to the segment A-B (local flat
 * approximation around A: fine for segments up to tens of km). */
double geo_distance_to_segment_m(double plat, double plon, double alat, double alon,
				 double blat, double blon);

#endif
