package weixintest

// places names the regions of the fake's users as WeChat's
// /sns/userinfo does in each lang: zh_CN, zh_TW, en, and without lang
// (English names, and the country as its ISO code: "CN").
var places = []map[string]string{
	{"zh_CN": "中国", "zh_TW": "中國", "en": "China", "": "CN"},
	{"zh_CN": "广东", "zh_TW": "廣東", "en": "Guangdong", "": "Guangdong"},
	{"zh_CN": "深圳", "zh_TW": "深圳", "en": "Shenzhen", "": "Shenzhen"},
	{"zh_CN": "上海", "zh_TW": "上海", "en": "Shanghai", "": "Shanghai"},
	{"zh_CN": "江苏", "zh_TW": "江蘇", "en": "Jiangsu", "": "Jiangsu"},
	{"zh_CN": "苏州", "zh_TW": "蘇州", "en": "Suzhou", "": "Suzhou"},
	{"zh_CN": "北京", "zh_TW": "北京", "en": "Beijing", "": "Beijing"},
	{"zh_CN": "美国", "zh_TW": "美國", "en": "United States", "": "US"},
	{"zh_CN": "加利福尼亚", "zh_TW": "加利福尼亞", "en": "California", "": "California"},
	{"zh_CN": "旧金山", "zh_TW": "舊金山", "en": "San Francisco", "": "San Francisco"},
}

// localise returns the region name as /sns/userinfo sends it in lang
// ("" for no lang): the name as given when the fake does not know it.
func localise(name, lang string) string {
	for _, p := range places {
		for _, n := range p {
			if n == name {
				return p[lang]
			}
		}
	}
	return name
}
