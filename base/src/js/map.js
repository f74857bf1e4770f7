/*
 * map.js - the vans and today's tracks on a Leaflet map.  Tiles are
 * optional: with none configured the map is a plain dark background with a
 * grid of latitude/longitude lines, the vans and their tracks (nothing is
 * fetched from anywhere).
 */
(function (root) {
	'use strict';
	var L = root.L;
	var COLOURS = ['#4fc3f7', '#ffb74d', '#aed581', '#ba68c8', '#4db6ac', '#f06292', '#fff176', '#90a4ae'];

	/* a light graticule so a map without tiles still shows scale and direction */
	var Grid = L.Layer.extend({
		onAdd: function (map) {
			this._map = map;
			this._g = L.layerGroup().addTo(map);
			map.on('moveend zoomend', this._draw, this);
			this._draw();
		},
		onRemove: function (map) {
			map.off('moveend zoomend', this._draw, this);
			this._g.remove();
		},
		_draw: function () {
			var b = this._map.getBounds();
			var span = Math.max(b.getNorth() - b.getSouth(), (b.getEast() - b.getWest()) / 2);
			var steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20];
			var step = steps[steps.length - 1];
			for (var i = 0; i < steps.length; i++)
				if (span / steps[i] <= 8) { step = steps[i]; break; }
			this._g.clearLayers();
			var style = { color: '#2b3a4a', weight: 1, interactive: false };
			var lat0 = Math.floor(b.getSouth() / step) * step, lon0 = Math.floor(b.getWest() / step) * step;
			for (var la = lat0; la <= b.getNorth() + step; la += step)
				this._g.addLayer(L.polyline([[la, b.getWest() - step], [la, b.getEast() + step]], style));
			for (var lo = lon0; lo <= b.getEast() + step; lo += step)
				this._g.addLayer(L.polyline([[b.getSouth() - step, lo], [b.getNorth() + step, lo]], style));
		}
	});

	function VanMap(el, cfg) {
		this.el = el;
		this.map = L.map(el, { zoomControl: true, attributionControl: !!cfg.tiles, preferCanvas: false })
			.setView(cfg.center || [53.8, -1.55], cfg.zoom || 13);
		this.tiles = null;
		this.grid = null;
		/* tiles: counts of loaded and failed tiles (a dead tile server, or no
		 * internet, leaves the grid under the vans rather than nothing) */
		this.tileStats = { loaded: 0, failed: 0 };
		var self0 = this;
		if (cfg.tiles) {
			this.tiles = L.tileLayer(cfg.tiles, { maxZoom: cfg.tilesMaxZoom || 19, attribution: cfg.tilesAttribution || '' });
			this.tiles.on('tileload', function () { self0.tileStats.loaded++; });
			this.tiles.on('tileerror', function () {
				self0.tileStats.failed++;
				if (!self0.tileStats.loaded && !self0.grid)
					self0.grid = new Grid().addTo(self0.map);
			});
			this.tiles.addTo(this.map);
		} else {
			this.grid = new Grid().addTo(this.map);
		}
		L.control.scale({ imperial: false }).addTo(this.map);
		/* the map's box changes when an alarm or an alert strip appears above
		 * it: Leaflet must know, or what it thinks is in view is not */
		if (typeof ResizeObserver === 'function')
			new ResizeObserver(function () { self0.map.invalidateSize({ pan: false }); }).observe(el);
		this.places = L.layerGroup().addTo(this.map);
		this.placesKey = '';
		this.focused = {};     /* unit -> emergency id brought into view */
		this.vans = {};
		this.colourN = 0;
		this.fitted = false;
		this.follow = null;
		/* fit the view to every van as they appear, until the operator moves the map */
		this.userMoved = false;
		var self = this;
		var moved = function () { self.userMoved = true; self.focusMoved = true; };
		this.map.on('dragstart', moved);
		el.addEventListener('wheel', moved, { passive: true });
		el.addEventListener('dblclick', moved);
		this.map.zoomControl.getContainer().addEventListener('click', moved);
	}

	VanMap.prototype.colour = function (unit) {
		var v = this.vans[unit];
		return v ? v.colour : COLOURS[0];
	};

	VanMap.prototype.ensure = function (unit, onclick) {
		var v = this.vans[unit];
		if (v)
			return v;
		var colour = COLOURS[this.colourN++ % COLOURS.length];
		v = this.vans[unit] = {
			colour: colour,
			track: L.polyline([], { color: colour, weight: 3, opacity: 0.75, interactive: false }).addTo(this.map),
			marker: null, pos: null, label: '', cls: ''
		};
		v.onclick = onclick;
		return v;
	};

	/* update(unit, {label, lat, lon, track: [[lat, lon], ...], cls: 'emergency'|'offline'|'alert'|''}) */
	VanMap.prototype.update = function (unit, d, onclick) {
		var v = this.ensure(unit, onclick);
		if (d.track)
			v.track.setLatLngs(d.track);
		if (d.lat === null || d.lat === undefined)
			return;
		var pos = [d.lat, d.lon];
		if (!v.marker || v.cls !== d.cls || v.label !== d.label) {
			if (v.marker)
				v.marker.remove();
			var html = document.createElement('div');
			html.className = 'van-marker ' + (d.cls || '');
			html.style.setProperty('--c', v.colour);
			var dot = document.createElement('span');
			dot.className = 'dot';
			var lab = document.createElement('span');
			lab.className = 'lab';
			lab.textContent = d.label;
			html.appendChild(dot);
			html.appendChild(lab);
			v.marker = L.marker(pos, {
				icon: L.divIcon({ html: html, className: 'van-icon', iconSize: [18, 18], iconAnchor: [9, 9] }),
				keyboard: false, zIndexOffset: d.cls === 'emergency' ? 1000 : 0
			}).addTo(this.map);
			if (v.onclick)
				v.marker.on('click', v.onclick);
			v.cls = d.cls;
			v.label = d.label;
		} else {
			v.marker.setLatLng(pos);
		}
		var first = !v.pos;
		v.pos = pos;
		if (!this.fitted || (first && !this.userMoved))
			this.fit();
		if (this.follow === unit)
			this.map.panTo(pos, { animate: false });
	};

	VanMap.prototype.fit = function () {
		var pts = [];
		for (var u in this.vans)
			if (this.vans[u].pos)
				pts.push(this.vans[u].pos);
		if (!pts.length)
			return;
		this.fitted = true;
		if (pts.length === 1)
			this.map.setView(pts[0], Math.max(this.map.getZoom(), 14), { animate: false });
		else
			this.map.fitBounds(L.latLngBounds(pts).pad(0.3), { animate: false, maxZoom: 16 });
	};

	/* centre a van; with yInMap (pixels from the map's top) the van is put
	 * there instead of the middle: the part of the map the operator can see */
	VanMap.prototype.show = function (unit, yInMap) {
		var v = this.vans[unit];
		this.userMoved = true;
		if (!v || !v.pos)
			return;
		this.map.invalidateSize({ pan: false });
		this.map.setView(v.pos, Math.max(this.map.getZoom(), 15), { animate: false });
		var hgt = this.map.getSize().y;
		if (yInMap !== undefined && yInMap !== null && isFinite(yInMap))
			this.map.panBy([0, Math.round(hgt / 2 - yInMap)], { animate: false });
	};

	/* an emergency: bring the van into view (well inside the edges, its
	 * label too) when it is raised, and keep it there while it moves, until
	 * the operator moves the map himself */
	/* band: the rows of the map on screen {y0, y1} (pixels from its top),
	 * or null (none on screen: the whole map) */
	VanMap.prototype.keepInView = function (unit, id, band) {
		var v = this.vans[unit];
		if (!v || !v.pos)
			return;
		var size = this.map.getSize();
		var y0 = band ? band.y0 : 0, y1 = band ? band.y1 : size.y;
		var fresh = this.focused[unit] !== id;
		if (fresh) {
			this.focused[unit] = id;
			this.focusMoved = false;
			this.map.invalidateSize({ pan: false });
			size = this.map.getSize();
			this.map.setView(v.pos, Math.max(this.map.getZoom(), 15), { animate: false });
		} else if (this.focusMoved) {
			return;
		}
		var p = this.map.latLngToContainerPoint(v.pos);
		var mx = Math.min(120, size.x * 0.25), my = Math.min(60, (y1 - y0) * 0.2);
		if (fresh || p.x < mx || p.x > size.x - mx || p.y < y0 + my || p.y > y1 - my) {
			this.map.panTo(v.pos, { animate: false });
			this.map.panBy([0, Math.round(size.y / 2 - (y0 + y1) / 2)], { animate: false });
		}
	};

	VanMap.prototype.unfocus = function (unit) {
		delete this.focused[unit];
	};

	/* named places (planned locations, base's list): small labelled squares,
	 * so a map without tiles still says where things are */
	VanMap.prototype.setPlaces = function (list) {
		var key = JSON.stringify(list.map(function (p) { return [p.name, p.lat, p.lon, p.kind]; }));
		if (key === this.placesKey)
			return;
		this.placesKey = key;
		this.places.clearLayers();
		var self = this;
		list.forEach(function (p) {
			var html = document.createElement('div');
			html.className = 'place-marker ' + (p.kind || '');
			var sq = document.createElement('span');
			sq.className = 'sq';
			var lab = document.createElement('span');
			lab.className = 'plab';
			lab.textContent = p.name;
			html.appendChild(sq);
			html.appendChild(lab);
			self.places.addLayer(L.marker([p.lat, p.lon], {
				icon: L.divIcon({ html: html, className: 'place-icon', iconSize: [10, 10], iconAnchor: [5, 5] }),
				keyboard: false, interactive: false, zIndexOffset: -500
			}));
		});
	};

	VanMap.prototype.resize = function () {
		this.map.invalidateSize();
	};

	root.VanMap = VanMap;
})(window);
