/*
 * geo.c - haversine distances and bearings.  See geo.h.
 */
#include "geo.h"

#include <math.h>

#define D2R (M_PI / 180.0)

double geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	double dlat = (lat2 - lat1) * D2R, dlon = (lon2 - lon1) * D2R;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * D2R) * cos(lat2 * D2R) * sin(dlon / 2) * sin(dlon / 2);
	if (a > 1.0)
		a = 1.0;
	return 2.0 * GEO_EARTH_RADIUS_M * atan2(sqrt(a), sqrt(1.0 - a));
}

double geo_bearing_deg(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * D2R, p2 = lat2 * D2R, dl = (lon2 - lon1) * D2R;
	double y = sin(dl) * cos(p2);
	double x = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
	double b = atan2(y, x) / D2R;
	return fmod(b + 360.0, 360.0);
}

double geo_heading_diff(double a, double b)
{
	double d = fmod(fabs(a - b), 360.0);
	return d > 180.0 ? 360.0 - d : d;
}

double geo_distance_to_segment_m(double plat, double plon, double alat, double alon,
				 double blat, double blon)
{
	/* equirectangular projection around A, metres */
	double k = cos(alat * D2R) * D2R * GEO_EARTH_RADIUS_M, m = D2R * GEO_EARTH_RADIUS_M;
	double bx = (blon - alon) * k, by = (blat - alat) * m;
	double px = (plon - alon) * k, py = (plat - alat) * m;
	double len2 = bx * bx + by * by;
	double t = len2 > 0 ? (px * bx + py * by) / len2 : 0.0;

	if (t <= 0)
		return geo_distance_m(plat, plon, alat, alon);
	if (t >= 1)
		return geo_distance_m(plat, plon, blat, blon);
	double dx = px - t * bx, dy = py - t * by;
	return sqrt(dx * dx + dy * dy);
}
